package dev.unroll.stream;

import dev.unroll.record.ParameterVersion;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs the {@link KeyedTrainer} and lets it count the keys its subtask holds in the state backend:
 * after a restore (or a rescale) the limit on keys starts from the keys the subtask really has.
 * A plain process function cannot reach the backend's key listing.
 */
public class KeyCountingOperator extends KeyedProcessOperator<String, SequenceItem, ParameterVersion> {
    public KeyCountingOperator(KeyedTrainer trainer) {
        super(trainer);
    }

    @Override
    public void open() throws Exception {
        super.open();
        ((KeyedTrainer) getUserFunction()).countKeysWith(() -> {
            try (var keys = getKeyedStateBackend().<VoidNamespace>getKeys(KeyedTrainer.STATE, VoidNamespace.INSTANCE)) {
                return keys.count();
            }
        });
    }
}
