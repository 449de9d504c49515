package dev.unroll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.TextAnchor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingChartTest {
    @TempDir
    Path dir;

    /** A run whose loss falls from 4 to 0.02 and whose accuracy climbs to 1 at version 40. */
    private static History run() {
        History h = new History().add(new History.Point(0, 0, Double.NaN, 0.0, 0));
        for (int v = 1; v <= 40; v++) {
            double accuracy = v % 3 == 0 || v == 40 ? Math.min(1.0, v / 40.0) : Double.NaN;
            h.add(new History.Point(v, 16L * v, 4 * Math.exp(-v / 7.5), accuracy, v * 0.05));
        }
        return h;
    }

    @Test
    void drawsLossAndAccuracyAgainstSequencesTrained() {
        JFreeChart chart = TrainingChart.chart(run(), "title", "subtitle");
        XYPlot plot = chart.getXYPlot();
        assertEquals("sequences trained", plot.getDomainAxis().getLabel());
        assertInstanceOf(LogAxis.class, plot.getRangeAxis(0), "a loss falling by decades is drawn on a log scale");
        assertTrue(plot.getRangeAxis(0).getLabel().startsWith("batch loss"));
        assertEquals("held-out accuracy", plot.getRangeAxis(1).getLabel());
        assertEquals(40, plot.getDataset(0).getItemCount(0), "raw batch loss: versions 1..40 (version 0 has none)");
        assertEquals(40, plot.getDataset(0).getItemCount(1), "its moving mean");
        assertEquals(1 + 13 + 1, plot.getDataset(1).getItemCount(0), "accuracy where scored: 0, every third, 40");
        assertEquals(1, plot.getDomainMarkers(org.jfree.chart.ui.Layer.FOREGROUND).size(), "a line where 100% was reached");
    }

    @Test
    void logTicksAreRoundNumbers() {
        assertEquals(List.of("0.2", "0.5", "1", "2", "5"), labels(0.15, 5.2));
        assertEquals(List.of("0.0001", "0.001", "0.01", "0.1", "1", "10"), labels(1e-4, 40),
                "over many decades, powers of ten alone");
        assertEquals(List.of("1e-7", "1e-6", "1e-5", "0.0001", "0.001"), labels(9e-8, 0.002));
        assertEquals(List.of(), labels(0, 1));
    }

    private static List<String> labels(double lower, double upper) {
        return TrainingChart.RoundLogAxis.ticks(lower, upper, TextAnchor.CENTER_RIGHT).stream().map(NumberTick::getText).toList();
    }

    @Test
    void aFlatLossStaysLinearAndNoAccuracyMeansNoMarker() {
        History h = new History();
        for (int v = 1; v <= 5; v++) {
            h.add(new History.Point(v, 8L * v, 1.0 + 0.1 * v, Double.NaN, v));
        }
        XYPlot plot = TrainingChart.chart(h, "t", null).getXYPlot();
        assertInstanceOf(NumberAxis.class, plot.getRangeAxis(0));
        assertEquals(0, plot.getDataset(1).getItemCount(0));
        assertNull(plot.getDomainMarkers(org.jfree.chart.ui.Layer.FOREGROUND));
        assertNull(TrainingChart.firstAllRight(h.points()));
    }

    @Test
    void writesAPng() throws Exception {
        Path png = dir.resolve("out/training.png");
        TrainingChart.writePng(run(), "binary addition", "a subtitle", png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertEquals(TrainingChart.WIDTH, image.getWidth());
        assertEquals(TrainingChart.HEIGHT, image.getHeight());
    }

    @Test
    void anEmptyHistoryStillDraws() throws Exception {
        Path png = dir.resolve("empty.png");
        TrainingChart.writePng(new History(), "nothing yet", null, png);
        assertNotNull(ImageIO.read(png.toFile()));
    }
}
