package dev.unroll.format;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Activation;
import dev.unroll.model.Limits;
import dev.unroll.model.Loss;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.task.NetworkFactory;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding one sequence record as the job's decoder does, JSON against Avro, on the same
 * sequences: {@code adder} is {@code jobs/binary-addition.yaml}'s task, {@code n64} the 100-step
 * records of {@code bench/pipeline.sh --units 64} (62-bit addition, the sum delayed, two inputs
 * and one target per step). JSON includes turning the bytes into text, as the decoder must.
 *
 * <pre>
 * mvn -P jmh package -DskipTests
 * java -jar target/benchmarks.jar SequenceDecodeBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SequenceDecodeBenchmark {
    private static final int RECORDS = 512;

    @Param({"adder", "n64"})
    String workload;

    Network net;
    byte[][] json = new byte[RECORDS][];
    byte[][] avro = new byte[RECORDS][];
    int next;

    @Setup
    public void setUp() {
        Task task;
        if (workload.equals("adder")) {
            JobConfig config = JobConfig.read(Path.of("jobs/binary-addition.yaml"));
            net = config.loadNetwork();
            task = Tasks.fromJob(config, net);
        } else {
            net = NetworkFactory.random(64, new int[] {0, 1}, new int[] {2}, Activation.LOGISTIC, Loss.CROSS_ENTROPY,
                    0.1, 0.5, 1);
            task = Tasks.fromSection(Map.of("type", "binary-addition", "minBits", 62, "maxBits", 62, "delay", 38,
                    "carryOut", true), "n64", net);
        }
        Iterator<Sequence> seqs = Tasks.generator(task, 1, workload);
        long jsonBytes = 0;
        long avroBytes = 0;
        for (int k = 0; k < RECORDS; k++) {
            Sequence seq = seqs.next();
            json[k] = SequenceJson.write(seq).getBytes(StandardCharsets.UTF_8);
            avro[k] = SequenceAvro.write(seq);
            jsonBytes += json[k].length;
            avroBytes += avro[k].length;
        }
        System.out.printf("%s records, mean bytes: JSON %d, Avro %d%n", workload, jsonBytes / RECORDS, avroBytes / RECORDS);
    }

    @Benchmark
    public Sequence json() {
        byte[] value = json[next++ & (RECORDS - 1)];
        return SequenceJson.parse(new String(value, StandardCharsets.UTF_8), "bench", net, Limits.DEFAULT);
    }

    @Benchmark
    public Sequence avro() {
        return SequenceAvro.read(avro[next++ & (RECORDS - 1)], "bench", net, Limits.DEFAULT);
    }
}
