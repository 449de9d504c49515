package dev.unroll.report;

import dev.unroll.io.AtomicFile;
import dev.unroll.task.KeyedEvaluation;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The picture of per-key models over all keys: each key's held-out loss, keys ranked from the best
 * to the worst (the loss's distribution over keys, read sideways), and each key's held-out accuracy
 * in the same order. A few keys that lag behind the rest show as the right-hand tail.
 */
public final class KeysChart {
    private static final Color LOSS = new Color(0x1F, 0x4E, 0x9A);
    private static final Color ACCURACY = new Color(0xD9, 0x5F, 0x02);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    /** Above this many keys the points are drawn as a line alone. */
    private static final int SHAPES_UP_TO = 200;

    private KeysChart() {
    }

    /** "NAME: K keys, M with every held-out sequence right". */
    public static String headline(String name, KeyedEvaluation scored) {
        return String.format(Locale.ROOT, "%s: %,d keys, %,d with every held-out sequence right", name,
                scored.scores().size(), scored.keysAllRight());
    }

    /** The spread of the loss over keys, for the subtitle. */
    public static String spread(KeyedEvaluation scored) {
        DescriptiveStatistics loss = scored.meanLoss();
        if (loss.getN() == 0) {
            return "no key scored";
        }
        return String.format(Locale.ROOT, "held-out loss per key: median %.3g, 90th percentile %.3g, largest %.3g",
                loss.getPercentile(50), loss.getPercentile(90), loss.getMax());
    }

    public static void writePng(KeyedEvaluation scored, String title, String subtitle, Path png) throws IOException {
        JFreeChart chart = chart(scored, title, subtitle);
        AtomicFile.write(png, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ChartUtils.writeChartAsPNG(out, chart, TrainingChart.WIDTH, TrainingChart.HEIGHT);
            }
        });
    }

    /** The chart itself; {@code subtitle} may be null. */
    public static JFreeChart chart(KeyedEvaluation scored, String title, String subtitle) {
        List<KeyedEvaluation.KeyScore> ranked = new ArrayList<>(scored.scores());
        ranked.removeIf(s -> !(s.summary().meanLoss() > 0));
        ranked.sort(Comparator.comparingDouble(s -> s.summary().meanLoss()));
        XYSeries loss = new XYSeries("held-out loss of the key's model (mean per sequence)", false, true);
        XYSeries accuracy = new XYSeries("held-out accuracy of the key's model (sequences with every bit right)", false, true);
        for (int k = 0; k < ranked.size(); k++) {
            loss.add(k + 1, ranked.get(k).summary().meanLoss());
            accuracy.add(k + 1, ranked.get(k).summary().fractionSequencesAllRight());
        }
        boolean shapes = ranked.size() <= SHAPES_UP_TO;

        NumberAxis x = new NumberAxis("keys, ranked by held-out loss");
        x.setNumberFormatOverride(TrainingChart.grouped());
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);

        XYLineAndShapeRenderer lossLine = new XYLineAndShapeRenderer(true, shapes);
        lossLine.setSeriesPaint(0, LOSS);
        lossLine.setSeriesStroke(0, new BasicStroke(2.0f));
        XYPlot plot = new XYPlot(new XYSeriesCollection(loss), x,
                TrainingChart.lossAxis(loss, "held-out loss (mean per sequence)"), lossLine);

        NumberAxis right = new NumberAxis("held-out accuracy");
        right.setRange(0, 1.04);
        right.setTickUnit(new NumberTickUnit(0.1, TrainingChart.percent()));
        right.setLabelPaint(ACCURACY);
        right.setTickLabelPaint(ACCURACY);
        XYLineAndShapeRenderer accuracyPoints = new XYLineAndShapeRenderer(!shapes, shapes);
        accuracyPoints.setSeriesPaint(0, ACCURACY);
        plot.setDataset(1, new XYSeriesCollection(accuracy));
        plot.setRangeAxis(1, right);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, accuracyPoints);

        return TrainingChart.styled(plot, title, subtitle);
    }
}
