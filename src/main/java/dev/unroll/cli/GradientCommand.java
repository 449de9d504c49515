package dev.unroll.cli;

import dev.unroll.model.Bptt;
import dev.unroll.model.Gradients;
import dev.unroll.format.Json;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "gradient", description = "Prints the loss and full-BPTT gradient of one sequence as JSON.")
final class GradientCommand implements Callable<Integer> {
    @Option(names = "--network", required = true, description = "network.json")
    Path network;

    @Option(names = "--sequence", required = true, description = "one sequence (JSON)")
    Path sequence;

    @Option(names = "--max-units", description = "reject larger networks (default ${DEFAULT-VALUE})")
    int maxUnits = Limits.DEFAULT.maxUnits();

    @Option(names = "--max-steps", description = "reject longer sequences (default ${DEFAULT-VALUE})")
    int maxSteps = Limits.DEFAULT.maxSteps();

    @Override
    public Integer call() {
        Limits limits = new Limits(maxUnits, maxSteps);
        Network net = NetworkJson.read(network, limits);
        Sequence seq = SequenceJson.read(sequence, net, limits);
        Gradients g = Bptt.gradient(net, seq);
        if (!g.isFinite()) {
            throw new ModelException(sequence.toString(), "", "the gradient overflowed (not finite) on this network");
        }
        System.out.println(Json.gradients(g));
        return 0;
    }
}
