package dev.unroll.task;

import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The learned-initial-state experiment once per key, for {@code training.models: per-key}: each of
 * {@code keys} devices plays its own fixed sequence with no inputs, so each key's model must learn
 * its own start and weights. Device k is named {@code keyPrefix} and k in five digits or more
 * ({@code device-00017}), so names sort in device order.
 *
 * <p>Device k's {@code length} rows are drawn from the k-th generator split off
 * {@code SplittableRandom(patternSeed)}: the patterns belong to the job, not to
 * {@code produce --seed}, so training and held-out data from different seeds ask each device for the
 * same sequence. A sequence picks its device uniformly from the generator it is given, then plays
 * that device's first T rows as {@link InitialState} does, and carries the device as its
 * {@code key}.
 */
final class PerKeyInitialState implements Task {
    static final String TYPE = "initial-state-per-key";
    private static final Set<String> KEYS = Set.of("type", "keys", "keyPrefix", "length", "patternSeed", "minSteps", "maxSteps");
    /** key names are zero-padded to at least this many digits */
    private static final int DIGITS = 5;

    private final String[] names;
    private final InitialState[] players;
    private final long patternSeed;

    private PerKeyInitialState(String[] names, InitialState[] players, long patternSeed) {
        this.names = names;
        this.players = players;
        this.patternSeed = patternSeed;
    }

    static PerKeyInitialState from(TaskSection s, Network net) {
        s.allowOnly(TYPE, KEYS);
        int[] outputs = InitialState.players(s, TYPE, net);
        int keys = s.integer("keys", 20, 1, 10_000_000);
        String prefix = s.text("keyPrefix", "device-");
        int length = s.integer("length", 6, 1, 100_000);
        long patternSeed = s.longInteger("patternSeed", 0);
        int maxSteps = s.integer("maxSteps", length, 1, length);
        int minSteps = s.integer("minSteps", maxSteps, 1, length);
        if (maxSteps < minSteps) {
            throw s.fail("maxSteps", "must be at least minSteps (" + minSteps + "), found " + maxSteps);
        }
        int digits = Math.max(DIGITS, String.valueOf(keys - 1).length());
        String format = "%0" + digits + "d";
        String[] names = new String[keys];
        InitialState[] players = new InitialState[keys];
        SplittableRandom root = new SplittableRandom(patternSeed);
        double low = net.activation().low();
        double high = net.activation().high();
        for (int k = 0; k < keys; k++) {
            names[k] = prefix + String.format(Locale.ROOT, format, k);
            players[k] = new InitialState(InitialState.drawRows(root.split(), length, outputs.length), outputs,
                    minSteps, maxSteps, low, high);
        }
        String problem = SequenceJson.keyProblem(names[keys - 1]);
        if (problem != null) {
            throw s.fail("keyPrefix", "makes keys such as " + names[keys - 1] + " that a sequence cannot carry: " + problem);
        }
        return new PerKeyInitialState(names, players, patternSeed);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Sequence generate(SplittableRandom rnd, String id) {
        int k = rnd.nextInt(names.length);
        return players[k].generate(rnd, id).withKey(names[k]);
    }

    /** The key names, in device order (which is also their sorted order). */
    List<String> keys() {
        return List.of(names);
    }

    /** The rows device {@code k} plays. */
    List<List<Integer>> rows(int k) {
        return players[k].rows();
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> first = players[0].settings();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TYPE);
        m.put("keys", names.length);
        m.put("firstKey", names[0]);
        m.put("lastKey", names[names.length - 1]);
        m.put("patternSeed", patternSeed);
        m.put("length", players[0].rows().size());
        m.put("minSteps", first.get("minSteps"));
        m.put("maxSteps", first.get("maxSteps"));
        // every device's rows would swamp a log with many keys; the first few show the kind
        List<Object> shown = new ArrayList<>();
        for (int k = 0; k < Math.min(3, players.length); k++) {
            shown.add(rows(k));
        }
        m.put("firstSequences", shown);
        return m;
    }
}
