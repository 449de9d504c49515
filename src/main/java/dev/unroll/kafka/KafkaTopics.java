package dev.unroll.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** Creates the job's topics when they are missing, with the broker's default replication. */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    public static void ensure(Properties clientProperties, String name, int partitions) {
        ensure(clientProperties, name, partitions, false);
    }

    /**
     * With {@code compacted}, the topic keeps at least the newest record of every key (the parameters
     * topic of per-key models: each key's newest version stays however old it is). An existing
     * topic is left as it is, and asked for first: on a secured cluster a client may see topics
     * an administrator made without the right to create any (docs/security.md).
     */
    public static void ensure(Properties clientProperties, String name, int partitions, boolean compacted) {
        try (Admin admin = Admin.create(KafkaClients.adminProps(clientProperties))) {
            if (exists(admin, name)) {
                return;
            }
            Map<String, String> configs = new HashMap<>();
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(EmbeddedKafka.MAX_MESSAGE_BYTES));
            if (compacted) {
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
            admin.createTopics(List.of(topic)).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        }
    }

    /** Whether the topic exists; false too where this client may not see it (then creating it says why not). */
    private static boolean exists(Admin admin, String name) throws ExecutionException, InterruptedException {
        try {
            admin.describeTopics(List.of(name)).allTopicNames().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException || e.getCause() instanceof TopicAuthorizationException) {
                return false;
            }
            throw e;
        }
    }
}
