package dev.unroll.events;

import java.util.ArrayList;
import java.util.List;

/**
 * What one key's cutting remembers between events: a plain class with public fields, kept in
 * Flink's keyed state by the streaming job and in a map by the offline {@link Assembler}.
 */
public class CutterState {
    /** count windows: the newest events, as many as a sequence needs; sessions: the part of the session not yet cut */
    public List<Event> window = new ArrayList<>();
    /** events released so far (count windows slide by this count) */
    public long released;
    /** sessions: the time of the last event released; the session is open while {@link #window} is not empty */
    public long lastTime = Long.MIN_VALUE;
    /** the index of the key's next sequence (0, 1, ...) */
    public long nextIndex;
}
