package dev.unroll.stream;

import dev.unroll.events.Event;
import dev.unroll.events.EventFields;
import dev.unroll.format.EventAvro;
import dev.unroll.format.EventJson;
import dev.unroll.format.SequenceAvro;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.EventRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.RecordParser;
import dev.unroll.record.TrainingSpec;

/**
 * Reads an event record at the events source, JSON or (with {@code events.format: avro})
 * single-object Avro: the event, or the dead letter (stage {@code events}) of a record that is
 * not one. Never throws.
 */
public final class ParseEvents implements RecordParser<EventRecord> {
    public static final String STAGE = "events";

    private final EventFields fields;
    /** with Avro events, their reader; JSON records are read too, told apart by the single-object marker */
    private final EventAvro avro;
    private final int maxRecordBytes;

    public ParseEvents(TrainingSpec spec) {
        this.fields = spec.events().fields();
        this.avro = EventAvro.of(spec.events());
        this.maxRecordBytes = spec.maxRecordBytes();
    }

    @Override
    public EventRecord parse(RawRecord record) {
        RecordText.Parsed<Event> parsed = avro != null && SequenceAvro.isSingleObject(record.value)
                ? RecordText.parseBytes(record, maxRecordBytes,
                        value -> avro.parse(value, record.origin(), record.partition, record.offset))
                : RecordText.parseText(record, maxRecordBytes,
                        text -> EventJson.parse(text, record.origin(), fields, record.partition, record.offset));
        if (parsed.problem() == null) {
            Event e = parsed.value();
            // kept while the event may yet be dead-lettered as late
            e.raw = record.value;
            return EventRecord.of(e);
        }
        return EventRecord.rejected(new DeadLetter(record.topic, record.partition, record.offset, record.key,
                record.value, STAGE, parsed.problem()));
    }
}
