package dev.unroll.task;

import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;

/**
 * Binary addition as questions and answers, for showing a trained network at work: the
 * sequence that asks for a + b (the bits as inputs, no targets), and the sum a prediction of it
 * says.
 */
public final class Additions {
    private final BinaryAddition task;
    private final Network net;
    /** where the output unit's state is in a prediction's rows */
    private final int column;

    private Additions(BinaryAddition task, Network net) {
        this.task = task;
        this.net = net;
        int[] outputs = net.outputUnits();
        int at = task.outputUnit();
        for (int k = 0; k < outputs.length; k++) {
            if (outputs[k] == task.outputUnit()) {
                at = k;
            }
        }
        this.column = at;
    }

    /** The additions of a binary-addition task, or null for a task of another kind. */
    public static Additions of(Task task, Network net) {
        return task instanceof BinaryAddition b ? new Additions(b, net) : null;
    }

    /** The widest numbers the task trains on; a and b must fit in them. */
    public int bits() {
        return task.maxBits();
    }

    public Sequence question(String id, long a, long b) {
        if (a < 0 || b < 0 || a >>> bits() != 0 || b >>> bits() != 0) {
            throw new IllegalArgumentException(a + " and " + b + " must be numbers of at most " + bits() + " bits");
        }
        return task.question(id, a, b, bits());
    }

    /** The sum the prediction of {@link #question} says. */
    public long answer(Prediction p) {
        return task.sum(t -> p.output(t, column), bits(), net.activation().middle());
    }
}
