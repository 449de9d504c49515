package dev.unroll.kafka;

import dev.unroll.record.RawRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Passes every record on untouched with its coordinates. Parsing happens in an operator
 * instead: the connector's record emitter turns a deserializer exception into a restart loop.
 */
public class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
        RawRecord r = new RawRecord(record.topic(), record.partition(), record.offset(), record.key(), record.value());
        r.timestamp = record.timestamp() >= 0 ? record.timestamp() : -1;
        out.collect(r);
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return TypeInformation.of(RawRecord.class);
    }
}
