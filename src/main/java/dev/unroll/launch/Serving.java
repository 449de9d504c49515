package dev.unroll.launch;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.model.KeyedNetwork;
import dev.unroll.model.Network;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A job's prediction path on its own, so that serving scales apart from training: requests in,
 * predictions out, with the newest version on the parameters topic (from where
 * {@link ServingStart} says) or with fixed parameters. {@code serve} runs it on a local cluster
 * ({@link #start}); a cluster's {@code --mode serve} defines it on its own environment; both through
 * {@link JobRunner#defineServing}.
 */
public final class Serving implements AutoCloseable {
    /** What the path answers with. */
    public sealed interface Parameters {
        /** The versions on the parameters topic, as they come. */
        record FromTopic() implements Parameters {
        }

        /** One model's fixed parameters, named {@code version}. */
        record Fixed(Network network, long version) implements Parameters {
        }

        /** Per-key models' fixed parameters, each key's own. */
        record FixedPerKey(List<KeyedNetwork> models) implements Parameters {
        }
    }

    /** What a defined path answers with first, and how many instances answer. */
    public record Defined(long version, int parallelism) {
    }

    private final EmbeddedKafka broker;
    private final String servers;
    private final JobClient client;
    private final Defined defined;

    private Serving(EmbeddedKafka broker, String servers, JobClient client, Defined defined) {
        this.broker = broker;
        this.servers = servers;
        this.client = client;
        this.defined = defined;
    }

    /** Starts the path on a local cluster, with Kafka where {@code where} says (an embedded broker, or one that must answer). */
    public static Serving start(JobConfig config, Network initial, LiveJob.Kafka where, Parameters parameters,
                                Integer parallelism) throws Exception {
        EmbeddedKafka broker = where.bootstrap() == null ? EmbeddedKafka.start(LoopbackPorts.wantedOrFree(where.port())) : null;
        try {
            String servers = broker != null ? broker.bootstrapServers() : where.bootstrap();
            KafkaConnectors kafka = KafkaConnectors.of(servers, config);
            if (broker == null) {
                kafka.requireReachable();
            }
            StreamExecutionEnvironment env = LocalFlink.create(parallelism != null ? parallelism
                    : config.get(JobConfig.PARALLELISM));
            Defined defined = JobRunner.defineServing(env, config, initial, kafka, parameters, parallelism);
            return new Serving(broker, servers, env.executeAsync("unroll serve " + config.name()), defined);
        } catch (Exception | Error e) {
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    public String servers() {
        return servers;
    }

    public boolean embedded() {
        return broker != null;
    }

    /** The version the path answers with first (0: the job's network). */
    public long version() {
        return defined.version();
    }

    public int parallelism() {
        return defined.parallelism();
    }

    /** Cancels the job and stops an embedded broker. */
    @Override
    public void close() throws Exception {
        try {
            client.cancel().get(30, TimeUnit.SECONDS);
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }
}
