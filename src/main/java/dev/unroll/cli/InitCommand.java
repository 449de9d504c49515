package dev.unroll.cli;

import dev.unroll.model.Activation;
import dev.unroll.model.Limits;
import dev.unroll.model.Loss;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.task.NetworkFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** Writes a starting network: the committed network files of jobs/ were made with it. */
@Command(name = "init", description = "Writes a fully connected starting network with small random weights (network.json format).")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--units", required = true, description = "number of units")
    int units;

    @Option(names = "--inputs", split = ",", description = "input unit indices, comma separated")
    int[] inputs = new int[0];

    @Option(names = "--outputs", split = ",", description = "output unit indices, comma separated")
    int[] outputs = new int[0];

    @Option(names = "--activation", description = "logistic, tanh or linear (default ${DEFAULT-VALUE})")
    String activation = "logistic";

    @Option(names = "--loss", description = "squared or cross-entropy (default ${DEFAULT-VALUE})")
    String loss = "squared";

    @Option(names = "--scale", description = "weights uniform in [-scale, scale] (default ${DEFAULT-VALUE})")
    double scale = 0.5;

    @Option(names = "--initial-state", description = "every unit's initial state (default ${DEFAULT-VALUE})")
    double initialState = 0.5;

    @Option(names = "--seed", description = "random seed (default ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--out", required = true, description = "where to write the network")
    Path out;

    @Override
    public Integer call() throws Exception {
        Activation f = Activation.fromJson(activation);
        Loss l = Loss.fromJson(loss);
        if (f == null || l == null) {
            System.err.println("unroll init: unknown " + (f == null ? "activation " + activation : "loss " + loss));
            return Main.BAD_INPUT;
        }
        if (units < 1 || !(scale >= 0) || !Double.isFinite(scale) || !Double.isFinite(initialState)) {
            System.err.println("unroll init: --units must be at least 1, --scale finite and not negative, --initial-state finite");
            return Main.BAD_INPUT;
        }
        for (int u : concat(inputs, outputs)) {
            if (u < 0 || u >= units) {
                System.err.println("unroll init: unit " + u + " is outside 0.." + (units - 1));
                return Main.BAD_INPUT;
            }
        }
        Network net = NetworkFactory.random(units, inputs, outputs, f, l, scale, initialState, seed);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("producedBy", "unroll init");
        provenance.put("seed", seed);
        provenance.put("scale", scale);
        String text = NetworkJson.write(net, provenance);
        // the same validation every reader applies: an index out of range fails here, not later
        NetworkJson.parse(text, out.toString(), Limits.DEFAULT);
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.writeString(out, text);
        return 0;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
