package dev.unroll.stream;

import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * With per-key models, reads each request once and names the key whose model answers it: its
 * {@code key} field, else its Kafka record key, as for training. A request that is unreadable,
 * invalid, or has no key is dead-lettered (stage predict); nothing is thrown.
 */
public class RouteRequests extends ProcessFunction<RawRecord, KeyedRequest> {
    private final TrainingSpec spec;
    private transient Network network;

    public RouteRequests(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
    }

    @Override
    public void processElement(RawRecord request, Context ctx, Collector<KeyedRequest> out) {
        RecordText.Parsed<Sequence> parsed = RecordText.parseSequence(request, spec.maxRecordBytes(), network, spec.limits(),
                true, seq -> DecodeSequences.withKey(seq, request));
        if (parsed.problem() == null) {
            out.collect(new KeyedRequest(request, parsed.value().key(), SequenceCodec.encode(parsed.value())));
            return;
        }
        String problem = parsed.problem();
        ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(request.topic, request.partition, request.offset,
                request.key, request.value, PredictSequences.STAGE, problem));
    }
}
