package dev.unroll.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class LocalFlinkTest {

    private static final int RECORDS = 1000;

    @Test
    void boundedKafkaToKafkaJobRunsAtParallelismTwo() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopic("in", 2);
            kafka.createTopic("out", 1);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(bootstrap))) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>("in", bytes("v" + i)));
                }
            }

            StreamExecutionEnvironment env = LocalFlink.create(2);
            KafkaSource<String> source = KafkaSource.<String>builder()
                    .setBootstrapServers(bootstrap)
                    .setTopics("in")
                    .setGroupId("local-flink-test")
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setBounded(OffsetsInitializer.latest())
                    .setValueOnlyDeserializer(new SimpleStringSchema())
                    .build();
            KafkaSink<String> sink = KafkaSink.<String>builder()
                    .setBootstrapServers(bootstrap)
                    .setKafkaProducerConfig(KafkaClients.producerProps(bootstrap))
                    .setRecordSerializer(KafkaRecordSerializationSchema.<String>builder()
                            .setTopic("out")
                            .setValueSerializationSchema(new SimpleStringSchema())
                            .build())
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .build();
            env.fromSource(source, WatermarkStrategy.noWatermarks(), "in")
                    .map(String::toUpperCase)
                    .sinkTo(sink);

            long started = System.nanoTime();
            env.execute("local-flink-test");
            System.out.printf("bounded Kafka job ran in %d ms%n", (System.nanoTime() - started) / 1_000_000);

            List<String> out = KafkaClients.readAll(bootstrap, "out", Duration.ofSeconds(20)).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .sorted()
                    .toList();
            List<String> expected = IntStream.range(0, RECORDS).mapToObj(i -> "V" + i).sorted().toList();
            assertEquals(expected, out);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
