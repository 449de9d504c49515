package dev.unroll.stream;

import dev.unroll.record.ParameterVersion;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Serving's versions as its source read them, less the records it refused (their signature
 * fails, see {@link ParameterVersion#refused}): those go to the dead letters and are counted in
 * {@code versionsRefused}, so a forged version is never served.
 */
final class DropRefusedVersions extends ProcessFunction<ParameterVersion, ParameterVersion> {
    private transient Counter refused;

    @Override
    public void open(OpenContext context) {
        refused = getRuntimeContext().getMetricGroup().counter("versionsRefused");
    }

    @Override
    public void processElement(ParameterVersion v, Context ctx, Collector<ParameterVersion> out) {
        if (v.refused != null) {
            refused.inc();
            ctx.output(DecodeSequences.DEAD_LETTERS, v.refused);
        } else {
            out.collect(v);
        }
    }
}
