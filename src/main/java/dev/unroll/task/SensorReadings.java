package dev.unroll.task;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Readings of sensors, as an events job reads them ({@code task.type: sensors}): every device
 * reports each of the job's event fields once an interval. A reading follows a daily cycle of its
 * own phase and amplitude around the device's level, drifts slowly, and carries noise; it arrives
 * up to {@code jitterMs} after its event time, so the readings come a little out of order, in the
 * order they arrive. The same seed gives the same readings.
 *
 * <p>Keys: {@code devices} (default 20), {@code intervalMs} (60000), {@code start} (ISO-8601,
 * 2026-01-01T00:00:00Z), {@code jitterMs} (0), {@code level} (20), {@code dailyAmplitude} (6),
 * {@code driftPerDay} (0.2), {@code noise} (0.3).
 */
public final class SensorReadings implements Iterator<SensorReadings.Reading> {
    public static final String TYPE = "sensors";
    private static final Set<String> KEYS = Set.of("type", "devices", "intervalMs", "start", "jitterMs", "level",
            "dailyAmplitude", "driftPerDay", "noise");
    private static final double DAY_MS = 86_400_000.0;

    /** One reading: its key (the device) and its JSON line. */
    public record Reading(String key, String json) {
    }

    private record Pending(long arrives, long sequence, Reading reading) {
    }

    private final String keyField;
    private final String timeField;
    private final List<String> fields;
    private final int devices;
    private final long intervalMs;
    private final long start;
    private final long jitterMs;
    private final double noise;
    private final double driftPerDay;
    /** per device and field: level, amplitude, phase */
    private final double[][][] shape;
    private final SplittableRandom random;
    private final PriorityQueue<Pending> pending = new PriorityQueue<>(
            java.util.Comparator.comparingLong(Pending::arrives).thenComparingLong(Pending::sequence));
    private long tick;
    private long made;

    private SensorReadings(JobConfig config, TaskSection s, long seed) {
        s.allowOnly(TYPE, KEYS);
        keyField = config.get(JobConfig.EVENTS_KEY);
        timeField = config.get(JobConfig.EVENTS_TIME);
        Set<String> all = new LinkedHashSet<>(config.get(JobConfig.EVENTS_FIELDS));
        if (config.get(JobConfig.EVENTS_TARGET_FIELDS) != null) {
            all.addAll(config.get(JobConfig.EVENTS_TARGET_FIELDS));
        }
        fields = List.copyOf(all);
        devices = s.integer("devices", 20, 1, 1_000_000);
        intervalMs = s.longInteger("intervalMs", 60_000);
        if (intervalMs < 1) {
            throw s.fail("intervalMs", "must be at least 1, found " + intervalMs);
        }
        String from = s.text("start", "2026-01-01T00:00:00Z");
        try {
            start = Instant.parse(from).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw s.fail("start", "must be an ISO-8601 instant such as 2026-01-01T00:00:00Z, found \"" + from + "\"");
        }
        jitterMs = s.longInteger("jitterMs", 0);
        if (jitterMs < 0) {
            throw s.fail("jitterMs", "must be 0 or more, found " + jitterMs);
        }
        double level = s.number("level", 20, -1e9);
        double amplitude = s.number("dailyAmplitude", 6, 0);
        driftPerDay = s.number("driftPerDay", 0.2, -1e9);
        noise = s.number("noise", 0.3, 0);
        random = new SplittableRandom(seed);
        shape = new double[devices][fields.size()][];
        for (int d = 0; d < devices; d++) {
            for (int f = 0; f < fields.size(); f++) {
                shape[d][f] = new double[] {level + random.nextDouble(-3, 3), amplitude * random.nextDouble(0.6, 1.4),
                        random.nextDouble(0, 2 * Math.PI)};
            }
        }
    }

    /** The readings of an events job's {@code task} section from {@code seed}, in the order they arrive. */
    public static SensorReadings fromJob(JobConfig config, long seed) {
        String source = config.file().toString();
        if (!config.hasEvents()) {
            throw new JobException(source, "events", "missing: sensor readings are events; the job needs an events section");
        }
        Map<String, Object> section = config.task();
        TaskSection s = new TaskSection(source, section);
        if (!TYPE.equals(s.text("type", null))) {
            throw new JobException(source, "task.type", "must be " + TYPE + " for an events job, found " + section.get("type"));
        }
        return new SensorReadings(config, s, seed);
    }

    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public Reading next() {
        // every reading not yet made has an event time after this tick's, and arrives after it
        while (pending.isEmpty() || pending.peek().arrives > start + tick * intervalMs) {
            readTick();
        }
        return pending.poll().reading();
    }

    private void readTick() {
        tick++;
        for (int d = 0; d < devices; d++) {
            // devices report spread over the interval
            long time = start + tick * intervalMs + d * intervalMs / devices;
            StringBuilder json = new StringBuilder(96);
            String device = String.format(Locale.ROOT, "sensor-%03d", d);
            json.append("{\"").append(keyField).append("\":\"").append(device).append("\",\"").append(timeField)
                    .append("\":\"").append(Instant.ofEpochMilli(time)).append('"');
            double days = (time - start) / DAY_MS;
            for (int f = 0; f < fields.size(); f++) {
                double[] p = shape[d][f];
                double v = p[0] + p[1] * Math.sin(2 * Math.PI * days + p[2]) + driftPerDay * days
                        + noise * random.nextGaussian();
                json.append(",\"").append(fields.get(f)).append("\":").append(String.format(Locale.ROOT, "%.3f", v));
            }
            json.append('}');
            long arrives = time + (jitterMs == 0 ? 0 : random.nextLong(jitterMs + 1));
            pending.add(new Pending(arrives, made++, new Reading(device, json.toString())));
        }
    }
}
