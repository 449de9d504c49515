package dev.unroll.report;

import dev.unroll.io.AtomicFile;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The picture of a training run: batch loss and the prequential window's loss (log scale, left),
 * held-out accuracy and the window's prequential accuracy (right) against sequences trained, with
 * a line where the held-out set was first all right. {@code demo} and {@code plot} both draw it
 * from a {@link History}; a history without prequential figures draws without them.
 */
public final class TrainingChart {
    public static final int WIDTH = 1100;
    public static final int HEIGHT = 620;
    /** Versions in the moving mean that makes the noisy batch loss readable. */
    static final int SMOOTHING = 25;

    private static final Color RAW_LOSS = new Color(0xB0, 0xC4, 0xDE);
    private static final Color LOSS = new Color(0x1F, 0x4E, 0x9A);
    private static final Color ACCURACY = new Color(0xD9, 0x5F, 0x02);
    private static final Color PREQUENTIAL = new Color(0x7B, 0x2D, 0x8E);
    private static final Color PREQUENTIAL_ACCURACY = new Color(0xF0, 0xA8, 0x6A);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    private static final Color TARGET = new Color(0x2C, 0x8C, 0x2C);

    static {
        // charts draw off-screen; without this a machine with no display fails on the first font
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        // encode in memory: ImageIO's file cache registers a shutdown hook per stream, which fails after Ctrl-C
        ImageIO.setUseCache(false);
    }

    private TrainingChart() {
    }

    /**
     * Loads the fonts and drawing classes now. A program that draws when it is stopped (Ctrl-C) must
     * call this first: Java 2D registers a shutdown hook on first use, which fails once the JVM is
     * shutting down.
     */
    public static void warmUp() {
        try {
            ChartUtils.writeChartAsPNG(new ByteArrayOutputStream(), chart(new History(), "warm-up", "warm-up"), 160, 120);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Draws the run into a PNG, written through a temporary file and a rename. */
    public static void writePng(History history, String title, String subtitle, Path png) throws IOException {
        JFreeChart chart = chart(history, title, subtitle);
        AtomicFile.write(png, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
            }
        });
    }

    /** The chart itself; {@code subtitle} may be null. */
    public static JFreeChart chart(History history, String title, String subtitle) {
        List<History.Point> points = history.points();
        XYSeries raw = new XYSeries("batch loss", false, true);
        XYSeries smooth = new XYSeries("batch loss, mean of " + SMOOTHING + " versions", false, true);
        XYSeries accuracy = new XYSeries("held-out accuracy (sequences with every bit right)", false, true);
        XYSeries prequentialLoss = new XYSeries("prequential loss (window, before training on it)", false, true);
        XYSeries prequentialAccuracy = new XYSeries("prequential accuracy (binary targets, window)", false, true);
        double[] window = new double[SMOOTHING];
        int filled = 0;
        double sum = 0;
        for (History.Point p : points) {
            double loss = p.batchLoss();
            if (Double.isFinite(loss) && loss > 0) {
                raw.add(p.sequencesTrained(), loss);
                int slot = filled % SMOOTHING;
                sum += loss - (filled >= SMOOTHING ? window[slot] : 0);
                window[slot] = loss;
                filled++;
                smooth.add(p.sequencesTrained(), sum / Math.min(filled, SMOOTHING));
            }
            if (p.scored()) {
                accuracy.add(p.sequencesTrained(), p.heldOutAccuracy());
            }
            if (Double.isFinite(p.prequentialLoss()) && p.prequentialLoss() > 0) {
                prequentialLoss.add(p.sequencesTrained(), p.prequentialLoss());
            }
            if (!Double.isNaN(p.prequentialAccuracy())) {
                prequentialAccuracy.add(p.sequencesTrained(), p.prequentialAccuracy());
            }
        }

        NumberAxis x = new NumberAxis("sequences trained");
        x.setNumberFormatOverride(grouped());
        x.setAutoRangeIncludesZero(true);
        x.setLowerMargin(0);
        x.setUpperMargin(0.01);

        XYSeriesCollection losses = new XYSeriesCollection();
        losses.addSeries(raw);
        losses.addSeries(smooth);
        XYLineAndShapeRenderer lossLines = new XYLineAndShapeRenderer(true, false);
        lossLines.setSeriesPaint(0, RAW_LOSS);
        lossLines.setSeriesStroke(0, new BasicStroke(1.0f));
        lossLines.setSeriesPaint(1, LOSS);
        lossLines.setSeriesStroke(1, new BasicStroke(2.2f));
        if (prequentialLoss.getItemCount() > 0) {
            losses.addSeries(prequentialLoss);
            lossLines.setSeriesPaint(2, PREQUENTIAL);
            lossLines.setSeriesStroke(2, new BasicStroke(1.6f));
        }

        XYPlot plot = new XYPlot(losses, x, lossAxis(raw), lossLines);

        XYSeriesCollection accuracies = new XYSeriesCollection(accuracy);
        if (prequentialAccuracy.getItemCount() > 0) {
            accuracies.addSeries(prequentialAccuracy);
        }
        NumberAxis right = new NumberAxis(prequentialAccuracy.getItemCount() > 0 ? "accuracy" : "held-out accuracy");
        right.setRange(0, 1.04);
        right.setTickUnit(new NumberTickUnit(0.1, percent()));
        right.setLabelPaint(ACCURACY);
        right.setTickLabelPaint(ACCURACY);
        XYLineAndShapeRenderer accuracyLine = new XYLineAndShapeRenderer(true, accuracy.getItemCount() <= 60);
        accuracyLine.setSeriesPaint(0, ACCURACY);
        accuracyLine.setSeriesStroke(0, new BasicStroke(2.2f));
        accuracyLine.setSeriesPaint(1, PREQUENTIAL_ACCURACY);
        accuracyLine.setSeriesShapesVisible(1, false);
        accuracyLine.setSeriesStroke(1, new BasicStroke(1.6f));
        plot.setDataset(1, accuracies);
        plot.setRangeAxis(1, right);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, accuracyLine);

        History.Point reached = firstAllRight(points);
        if (reached != null) {
            ValueMarker marker = new ValueMarker(reached.sequencesTrained(), TARGET, new BasicStroke(1.2f,
                    BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
            marker.setLabel("100% at " + grouped().format(reached.sequencesTrained()) + " sequences ");
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            marker.setLabelPaint(TARGET);
            marker.setLabelBackgroundColor(new Color(255, 255, 255, 0));
            marker.setLabelAnchor(RectangleAnchor.BOTTOM_LEFT);
            marker.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            marker.setLabelOffset(new RectangleInsets(4, 4, 30, 4));
            plot.addDomainMarker(marker);
        }

        return styled(plot, title, subtitle);
    }

    /** The house style of Unroll's charts: white, grey grid, loss axis in the loss colour, legend below. */
    static JFreeChart styled(XYPlot plot, String title, String subtitle) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        plot.getRangeAxis(0).setLabelPaint(LOSS);
        plot.getRangeAxis(0).setTickLabelPaint(LOSS);

        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(8, 8, 8, 16));
        if (subtitle != null && !subtitle.isBlank()) {
            TextTitle sub = new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            sub.setPaint(Color.DARK_GRAY);
            chart.addSubtitle(0, sub);
        }
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setFrame(BlockBorder.NONE);
        legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        return chart;
    }

    /** The first scored version with the whole held-out set right, or null. */
    public static History.Point firstAllRight(List<History.Point> points) {
        for (History.Point p : points) {
            if (p.scored() && p.heldOutAccuracy() >= 1.0) {
                return p;
            }
        }
        return null;
    }

    /** Log scale when the loss spans a decade or more (it usually falls by several); linear otherwise. */
    private static ValueAxis lossAxis(XYSeries losses) {
        return lossAxis(losses, "batch loss (mean per sequence)");
    }

    static ValueAxis lossAxis(XYSeries losses, String label) {
        if (losses.getItemCount() > 0 && losses.getMaxY() / losses.getMinY() >= 10) {
            LogAxis log = new RoundLogAxis(label + ", log scale");
            log.setSmallestValue(Math.max(1e-300, losses.getMinY() / 2));
            return log;
        }
        NumberAxis linear = new NumberAxis(label);
        linear.setAutoRangeIncludesZero(true);
        return linear;
    }

    /** A log axis with its ticks at 1, 2 and 5 times powers of ten (at powers of ten alone over many decades). */
    static final class RoundLogAxis extends LogAxis {
        private static final int[] STEPS = {1, 2, 5};

        RoundLogAxis(String label) {
            super(label);
        }

        @Override
        protected List<NumberTick> refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
            return ticks(getLowerBound(), getUpperBound(), edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT
                    : TextAnchor.CENTER_LEFT);
        }

        static List<NumberTick> ticks(double lower, double upper, TextAnchor anchor) {
            List<NumberTick> ticks = new ArrayList<>();
            if (!(lower > 0) || !(upper > lower)) {
                return ticks;
            }
            int from = (int) Math.floor(Math.log10(lower));
            int to = (int) Math.ceil(Math.log10(upper));
            int[] steps = to - from > 4 ? new int[]{1} : STEPS;
            for (int e = from; e <= to; e++) {
                for (int m : steps) {
                    double v = m * Math.pow(10, e);
                    if (v >= lower && v <= upper) {
                        ticks.add(new NumberTick(v, label(m, e), anchor, TextAnchor.CENTER, 0.0));
                    }
                }
            }
            return ticks;
        }

        /** m times 10^e written plainly (0.02, 500) where that is short, else as 2e-7. */
        static String label(int m, int e) {
            return e >= -4 && e <= 6 ? BigDecimal.valueOf(m).scaleByPowerOfTen(e).toPlainString() : m + "e" + e;
        }
    }

    static NumberFormat grouped() {
        return new DecimalFormat("#,##0", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }

    static NumberFormat percent() {
        return new DecimalFormat("0%", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }
}
