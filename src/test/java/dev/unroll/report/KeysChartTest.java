package dev.unroll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.KeyedEvaluation;

import java.util.ArrayList;
import java.util.List;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import dev.unroll.model.KeyedNetwork;

/** The summary over keys: keys ranked by held-out loss, each key's accuracy beside its loss. */
class KeysChartTest {
    /** A one-unit logistic net whose state from t = 1 on is f(bias). */
    private static Network net(double bias) {
        return NetworkJson.parse("{\"units\": 1, \"weights\": [[0]], \"biases\": [" + bias + "], \"initialState\": [0.5]}",
                "net", Limits.DEFAULT);
    }

    @Test
    void keysRankedByLoss() {
        // every key is asked for 1 at t = 1; bias 4 is nearly right, -4 is wrong and far off
        double[] biases = {-4, 4, 0.5, 2};
        List<KeyedNetwork> models = new ArrayList<>();
        List<Sequence> data = new ArrayList<>();
        for (int k = 0; k < biases.length; k++) {
            models.add(new KeyedNetwork("k" + k, 1, 4, net(biases[k])));
            data.add(SequenceJson.parse("{\"key\":\"k" + k + "\",\"steps\":1,\"targets\":[{\"t\":1,\"units\":[0],\"values\":[1]}]}",
                    "seq", net(0), Limits.DEFAULT));
        }
        KeyedEvaluation scored = KeyedEvaluation.of(models, net(0), data, 0, "data");
        JFreeChart chart = KeysChart.chart(scored, KeysChart.headline("devices", scored), KeysChart.spread(scored));
        XYPlot plot = chart.getXYPlot();
        XYDataset loss = plot.getDataset(0);
        XYDataset accuracy = plot.getDataset(1);
        assertEquals(4, loss.getItemCount(0));
        double[] expected = {4, 2, 0.5, -4};
        for (int k = 0; k < 4; k++) {
            assertEquals(k + 1, loss.getXValue(0, k));
            double h = 1 / (1 + Math.exp(-expected[k]));
            assertEquals(0.5 * (1 - h) * (1 - h), loss.getYValue(0, k), 1e-15, "rank " + (k + 1));
            assertEquals(expected[k] > 0 ? 1.0 : 0.0, accuracy.getYValue(0, k));
        }
        assertInstanceOf(LogAxis.class, plot.getRangeAxis(0), "losses over decades");
        assertEquals("devices: 4 keys, 3 with every held-out sequence right", KeysChart.headline("devices", scored));
        assertTrue(KeysChart.spread(scored).startsWith("held-out loss per key: median "), KeysChart.spread(scored));
    }
}
