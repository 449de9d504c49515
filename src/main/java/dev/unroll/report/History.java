package dev.unroll.report;

import dev.unroll.io.AtomicFile;
import dev.unroll.model.ModelException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A training run as a table, one row per parameter version: how many sequences it had seen, the
 * loss of the batch that made it, the prequential loss and accuracy over the window then
 * (docs/model-quality.md) and, when it was scored, its held-out accuracy. {@code demo} writes it
 * as {@code history.csv}, {@code train --history} likewise; {@code plot} reads it back or
 * rebuilds it from a parameters topic. A figure not measured (the batch loss of version 0, an
 * accuracy not evaluated) is NaN in memory and an empty field in the file. Files written before
 * the prequential columns existed are read with those empty.
 */
public final class History {
    /** The CSV header, also the column order. */
    public static final String HEADER = "version,sequencesTrained,batchLoss,heldOutAccuracy,seconds,prequentialLoss,"
            + "prequentialAccuracy";
    /** The header of files written before the prequential columns. */
    private static final String FIVE_COLUMNS = "version,sequencesTrained,batchLoss,heldOutAccuracy,seconds";

    /**
     * One parameter version.
     *
     * @param version          updates applied
     * @param sequencesTrained sequences trained into it, over all versions
     * @param batchLoss        mean loss per sequence of the batch that produced it (NaN for version 0)
     * @param heldOutAccuracy  fraction of held-out sequences with every binary target right (NaN if not scored)
     * @param seconds          when it arrived, in seconds since the run started
     * @param prequentialLoss  mean loss per sequence over the prequential window after that batch
     * @param prequentialAccuracy fraction of binary target values right over that window
     */
    public record Point(long version, long sequencesTrained, double batchLoss, double heldOutAccuracy, double seconds,
                        double prequentialLoss, double prequentialAccuracy) {
        /** A row without prequential figures (version 0, or a run that did not record them). */
        public Point(long version, long sequencesTrained, double batchLoss, double heldOutAccuracy, double seconds) {
            this(version, sequencesTrained, batchLoss, heldOutAccuracy, seconds, Double.NaN, Double.NaN);
        }

        public boolean scored() {
            return !Double.isNaN(heldOutAccuracy);
        }

        /** The same row with a held-out accuracy measured after it was added. */
        public Point scoredAs(double accuracy) {
            return new Point(version, sequencesTrained, batchLoss, accuracy, seconds, prequentialLoss, prequentialAccuracy);
        }
    }

    private final List<Point> points = new ArrayList<>();

    /** Appends a version; versions must come in increasing order. */
    public History add(Point p) {
        if (!points.isEmpty() && p.version() <= last().version()) {
            throw new IllegalArgumentException("version " + p.version() + " after version " + last().version());
        }
        points.add(p);
        return this;
    }

    /** Replaces the newest version's row, for a figure measured after it was added (same version). */
    public History replaceLast(Point p) {
        if (points.isEmpty() || p.version() != last().version()) {
            throw new IllegalArgumentException("no row of version " + p.version() + " to replace");
        }
        points.set(points.size() - 1, p);
        return this;
    }

    public List<Point> points() {
        return Collections.unmodifiableList(points);
    }

    public boolean isEmpty() {
        return points.isEmpty();
    }

    /** The newest version (null when empty). */
    public Point last() {
        return points.isEmpty() ? null : points.get(points.size() - 1);
    }

    /** The newest version with a held-out accuracy (null if none was scored). */
    public Point lastScored() {
        for (int k = points.size() - 1; k >= 0; k--) {
            if (points.get(k).scored()) {
                return points.get(k);
            }
        }
        return null;
    }

    /** The table as CSV text: the header, then one line per version. */
    public String toCsv() {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        for (Point p : points) {
            s.append(p.version()).append(',')
                    .append(p.sequencesTrained()).append(',')
                    .append(number(p.batchLoss())).append(',')
                    .append(number(p.heldOutAccuracy())).append(',')
                    .append(Double.isNaN(p.seconds()) ? "" : String.format(Locale.ROOT, "%.3f", p.seconds())).append(',')
                    .append(number(p.prequentialLoss())).append(',')
                    .append(number(p.prequentialAccuracy()))
                    .append('\n');
        }
        return s.toString();
    }

    /** Writes the CSV through a temporary file and a rename, so a reader never sees half a table. */
    public void write(Path csv) throws IOException {
        AtomicFile.write(csv, tmp -> Files.writeString(tmp, toCsv(), StandardCharsets.UTF_8));
    }

    /**
     * Reads a table {@link #write} wrote.
     *
     * @throws ModelException naming the file, line and column of anything else
     */
    public static History read(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelException(csv.toString(), "", "no such file");
        } catch (IOException e) {
            throw new ModelException(csv.toString(), "", "cannot read: " + e.getMessage());
        }
        if (lines.isEmpty() || !(lines.get(0).strip().equals(HEADER) || lines.get(0).strip().equals(FIVE_COLUMNS))) {
            throw new ModelException(csv.toString(), "line 1", "must be the header " + HEADER);
        }
        History h = new History();
        String[] columns = lines.get(0).strip().split(",");
        for (int k = 1; k < lines.size(); k++) {
            String line = lines.get(k).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = "line " + (k + 1);
            String[] f = line.split(",", -1);
            if (f.length != columns.length) {
                throw new ModelException(csv.toString(), where, "must have " + columns.length + " fields, found " + f.length);
            }
            long version = whole(csv, where, columns[0], f[0]);
            long trained = whole(csv, where, columns[1], f[1]);
            double loss = real(csv, where, columns[2], f[2]);
            double accuracy = fraction(csv, where, columns[3], f[3]);
            double seconds = real(csv, where, columns[4], f[4]);
            double prequentialLoss = f.length > 5 ? real(csv, where, columns[5], f[5]) : Double.NaN;
            double prequentialAccuracy = f.length > 6 ? fraction(csv, where, columns[6], f[6]) : Double.NaN;
            if (!h.isEmpty() && version <= h.last().version()) {
                throw new ModelException(csv.toString(), where + ": " + columns[0],
                        "versions must increase, found " + version + " after " + h.last().version());
            }
            h.add(new Point(version, trained, loss, accuracy, seconds, prequentialLoss, prequentialAccuracy));
        }
        return h;
    }

    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "";
    }

    private static long whole(Path csv, String where, String column, String text) {
        try {
            long v = Long.parseLong(text.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ModelException(csv.toString(), where + ": " + column, "must be a whole number 0 or more, found \"" + text + "\"");
        }
    }

    private static double fraction(Path csv, String where, String column, String text) {
        double v = real(csv, where, column, text);
        if (!Double.isNaN(v) && (v < 0 || v > 1)) {
            throw new ModelException(csv.toString(), where + ": " + column, "must be between 0 and 1, found " + text);
        }
        return v;
    }

    private static double real(Path csv, String where, String column, String text) {
        if (text.isBlank()) {
            return Double.NaN;
        }
        try {
            double v = Double.parseDouble(text.strip());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ModelException(csv.toString(), where + ": " + column, "must be a number or empty, found \"" + text + "\"");
        }
    }
}
