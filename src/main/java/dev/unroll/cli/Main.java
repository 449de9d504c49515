package dev.unroll.cli;

import dev.unroll.job.JobException;
import dev.unroll.io.KafkaUnreachableException;
import dev.unroll.model.ModelException;
import dev.unroll.tool.PredictBenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code unroll} command line: one subcommand per verb. */
@Command(name = "unroll", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "unroll 0.1.0",
        description = "Backpropagation through time on sequences streaming through Kafka, with Flink.",
        subcommands = {GradientCommand.class, TrainCommand.class, AssembleCommand.class, ReplayCommand.class, RunCommand.class, LoadCommand.class, KeysCommand.class,
                ProduceCommand.class, EvaluateCommand.class, InitCommand.class, BenchCommand.class,
                DemoCommand.class, PlotCommand.class, PredictCommand.class, ServeCommand.class, PredictBenchCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input: a file, record or job that breaks the contract. */
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this in-process). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ModelException || e instanceof JobException) {
                cmd.getErr().println(e.getMessage());
                return BAD_INPUT;
            }
            if (e instanceof KafkaUnreachableException) {
                cmd.getErr().println("unroll " + cmd.getCommandName() + ": " + e.getMessage());
                return BAD_INPUT;
            }
            cmd.getErr().println("unroll " + cmd.getCommandName() + ": " + e);
            // what went wrong underneath (Flink wraps the real reason in a few layers)
            int depth = 0;
            for (Throwable c = e.getCause(); c != null && c != c.getCause() && depth < 6; c = c.getCause(), depth++) {
                cmd.getErr().println("  caused by: " + c);
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
