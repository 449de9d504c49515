package dev.unroll.stream;

import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;


/**
 * Parses and validates each record, JSON or Avro, against the job's network. Never throws on bad input: a
 * thrown exception here would restart the job and meet the same record again, forever. Bad
 * records leave through {@link #DEAD_LETTERS} with the reason.
 */
public class DecodeSequences extends ProcessFunction<RawRecord, SequenceItem> {
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    private final TrainingSpec spec;
    private final ModelLayout layout;
    private transient Network network;
    private transient Counter accepted;
    private transient Counter rejected;

    DecodeSequences(TrainingSpec spec, ModelLayout layout) {
        this.spec = spec;
        this.layout = layout;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
        accepted = getRuntimeContext().getMetricGroup().counter("sequencesAccepted");
        rejected = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<SequenceItem> out) {
        RecordText.Parsed<Sequence> parsed = RecordText.parseSequence(record, spec.maxRecordBytes(), network, spec.limits(),
                false, seq -> layout.keyed(seq, record));
        if (parsed.problem() == null) {
            SequenceItem item = new SequenceItem(record, SequenceCodec.encode(parsed.value()));
            item.key = parsed.value().key();
            accepted.inc();
            out.collect(item);
            return;
        }
        String problem = parsed.problem();
        rejected.inc();
        layout.rejected(record, out);
        ctx.output(DEAD_LETTERS, new DeadLetter(record.topic, record.partition, record.offset, record.key,
                record.value, "decode", problem));
    }

    /**
     * The sequence with the model it trains: its own {@code key}, else its record's key.
     *
     * @throws ModelException naming the record when it has neither, or a record key that cannot name a model
     */
    static Sequence withKey(Sequence seq, RawRecord record) {
        if (seq.key() != null) {
            return seq;
        }
        if (record.key == null) {
            throw new ModelException(record.origin(), "key", SequenceJson.NO_KEY);
        }
        String key;
        try {
            key = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(record.key)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelException(record.origin(), "key", "the record key is not UTF-8 text, so it cannot name a model");
        }
        String problem = SequenceJson.keyProblem(key);
        if (problem != null) {
            throw new ModelException(record.origin(), "key", "the record key " + problem);
        }
        return seq.withKey(key);
    }
}
