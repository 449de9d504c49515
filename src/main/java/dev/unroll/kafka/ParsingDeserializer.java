package dev.unroll.kafka;

import dev.unroll.record.RawRecord;
import dev.unroll.record.RecordParser;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads each record at the source with a parser that never throws (the connector's record
 * emitter would turn an exception into a restart loop on the same record). Used where the source
 * itself must know what a record holds, as the events source does for each partition's watermark.
 */
public class ParsingDeserializer<T> implements KafkaRecordDeserializationSchema<T> {
    private final RecordParser<T> parser;
    private final Class<T> type;

    public ParsingDeserializer(RecordParser<T> parser, Class<T> type) {
        this.parser = parser;
        this.type = type;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) {
        out.collect(parser.parse(new RawRecord(record.topic(), record.partition(), record.offset(), record.key(),
                record.value())));
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
