package dev.unroll.events;

import dev.unroll.job.JobConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/** Events jobs and event files for tests: a small forecasting network and noisy readings of a few devices. */
public final class EventJobs {
    public static final String COUNT = "{kind: count, steps: 5, slide: 2}";
    public static final String SESSION = "{kind: session, steps: 6, gapMs: 4000, minSteps: 2}";

    private EventJobs() {
    }

    /**
     * Writes {@code dir/job.yaml} (with the forecasting network beside it): readings {@code temp} of
     * each {@code device} at {@code ts}, within {@code boundMs} of order, cut by {@code window}, training
     * {@code models} (one or per-key).
     */
    public static JobConfig write(Path dir, String window, long boundMs, String models) throws IOException {
        return write(dir, window, boundMs, models, "");
    }

    /** The same with more top-level sections ({@code stream:} settings, say) after the events section. */
    public static JobConfig write(Path dir, String window, long boundMs, String models, String more) throws IOException {
        Files.copy(Path.of("src/test/resources/events/forecast.network.json"), dir.resolve("network.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("job.yaml"), "name: sensors-test\nnetwork: network.json\ntraining:\n"
                + "  batchSize: 4\n  learningRate: 0.05\n  momentum: 0.5\n  models: " + models
                + "\nevents:\n  key: device\n  time: ts\n"
                + "  fields: [temp]\n  maxOutOfOrdernessMs: " + boundMs + "\n  window: " + window + "\n"
                + "  normalize: {temp: {offset: 20, scale: 10}}\n" + more);
        return JobConfig.read(dir.resolve("job.yaml"));
    }

    /**
     * Readings of {@code devices} devices, {@code perDevice} each a second apart with pauses of 10 s
     * now and then (one in nine: sessions), in the order they arrive: each up to {@code jitterMs} later than
     * its event time, so at most {@code jitterMs} out of order.
     */
    public static List<String> readings(int devices, int perDevice, long jitterMs, long seed) {
        Random random = new Random(seed);
        record Arrival(long at, String json) {
        }
        List<Arrival> all = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            long ts = 1_765_000_000_000L + 13L * d;
            for (int i = 0; i < perDevice; i++) {
                ts += random.nextInt(9) == 0 ? 10_000 : 1_000;
                double temp = 20 + 6 * Math.sin(i / 9.0 + d) + random.nextGaussian() * 0.4;
                all.add(new Arrival(ts + (long) (random.nextDouble() * jitterMs), String.format(Locale.ROOT,
                        "{\"device\":\"dev-%d\",\"ts\":%d,\"temp\":%.4f,\"unit\":\"C\"}", d, ts, temp)));
            }
        }
        all.sort(java.util.Comparator.comparingLong(Arrival::at));
        return all.stream().map(Arrival::json).toList();
    }
}
