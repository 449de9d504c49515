package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.Requests;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.Additions;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Asks the live job a few additions through its requests topic, as any client would, and prints
 * the sums its predictions say, with the version that answered. Ends the binary-addition demo.
 */
final class LiveAdditions {
    private LiveAdditions() {
    }

    /** Returns how many of the {@code count} answers were right (0 when the job did not answer in time). */
    static int ask(KafkaConnectors kafka, JobConfig config, Network net, Additions additions, long seed, int count,
                   PrintStream out) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, long[]> asked = new LinkedHashMap<>();
        try (Requests requests = new Requests(kafka, config)) {
            for (int k = 0; k < count; k++) {
                long a = rnd.nextLong(1L << additions.bits());
                long b = rnd.nextLong(1L << additions.bits());
                String id = a + "+" + b;
                asked.put(id, new long[]{a, b});
                requests.ask(id, SequenceJson.write(additions.question(id, a, b)));
            }
            int right = 0;
            for (JsonNode p : requests.answers(asked.keySet(), Duration.ofSeconds(30))) {
                long[] ab = asked.remove(p.path("id").asText());
                long said = additions.answer(prediction(p));
                boolean ok = said == ab[0] + ab[1];
                right += ok ? 1 : 0;
                out.printf("demo: asked the live job %d + %d: it answers %d (version %d, %s)%n", ab[0], ab[1], said,
                        p.path("version").asLong(), ok ? "right" : "wrong, " + (ab[0] + ab[1]) + " is right");
            }
            if (!asked.isEmpty()) {
                out.println("demo: no answer within 30 s to " + asked.keySet());
            }
            return right;
        }
    }

    private static Prediction prediction(JsonNode p) {
        JsonNode rows = p.get("outputs");
        int columns = rows.get(0).size();
        double[] outputs = new double[rows.size() * columns];
        for (int t = 0; t < rows.size(); t++) {
            for (int k = 0; k < columns; k++) {
                outputs[t * columns + k] = rows.get(t).get(k).asDouble();
            }
        }
        return new Prediction(p.path("id").asText(null), columns, outputs, p.has("loss"), p.path("loss").asDouble());
    }
}
