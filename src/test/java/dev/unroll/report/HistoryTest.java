package dev.unroll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.model.ModelException;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {
    @TempDir
    Path dir;

    private static History sample() {
        return new History()
                .add(new History.Point(0, 0, Double.NaN, 0.05, 0))
                .add(new History.Point(1, 16, 4.008331264233143, Double.NaN, 0.25))
                .add(new History.Point(2, 32, 3.5, 0.5, 0.5004, 3.75, 0.625));
    }

    @Test
    void writesTheDocumentedColumnsWithEmptyFieldsForWhatWasNotMeasured() {
        assertEquals("""
                version,sequencesTrained,batchLoss,heldOutAccuracy,seconds,prequentialLoss,prequentialAccuracy
                0,0,,0.05,0.000,,
                1,16,4.008331264233143,,0.250,,
                2,32,3.5,0.5,0.500,3.75,0.625
                """, sample().toCsv());
    }

    @Test
    void aFileFromBeforeThePrequentialColumnsReadsWithThemEmpty() throws Exception {
        Path csv = Files.writeString(dir.resolve("old.csv"), "version,sequencesTrained,batchLoss,heldOutAccuracy,seconds\n"
                + "0,0,,0.05,0.000\n1,16,4.0,,0.250\n");
        History old = History.read(csv);
        assertEquals(4.0, old.last().batchLoss());
        assertTrue(Double.isNaN(old.last().prequentialLoss()));
    }

    @Test
    void roundTripsThroughAFile() throws Exception {
        Path csv = dir.resolve("sub/history.csv");
        sample().write(csv);
        History back = History.read(csv);
        assertEquals(3, back.points().size());
        assertEquals(sample().points().get(1).batchLoss(), back.points().get(1).batchLoss());
        assertFalse(back.points().get(1).scored());
        assertEquals(0.5, back.lastScored().heldOutAccuracy());
        assertEquals(2, back.last().version());
        assertTrue(Double.isNaN(back.points().get(0).batchLoss()));
        assertEquals(0.625, back.last().prequentialAccuracy());
    }

    @Test
    void versionsMustIncrease() {
        History h = sample();
        assertThrows(IllegalArgumentException.class, () -> h.add(new History.Point(2, 48, 1, 1, 1)));
        h.replaceLast(new History.Point(2, 32, 3.5, 0.75, 0.5));
        assertEquals(0.75, h.last().heldOutAccuracy());
        assertThrows(IllegalArgumentException.class, () -> h.replaceLast(new History.Point(3, 48, 1, 1, 1)));
    }

    @Test
    void aBadFileNamesTheLineAndColumn() throws Exception {
        assertBad("version,loss\n", "h.csv: line 1: must be the header " + History.HEADER);
        assertBad(History.HEADER + "\n0,0,,0.1\n", "h.csv: line 2: must have 7 fields, found 4");
        assertBad(History.HEADER + "\n0,0,,0.1,0,,\n-1,16,2,,1,,\n", "h.csv: line 3: version: must be a whole number 0 or more");
        assertBad(History.HEADER + "\n0,0,,1.5,0,,\n", "h.csv: line 2: heldOutAccuracy: must be between 0 and 1");
        assertBad(History.HEADER + "\n0,0,,,0,1,1.5\n", "h.csv: line 2: prequentialAccuracy: must be between 0 and 1");
        assertBad(History.HEADER + "\n3,48,1,,0,,\n2,32,1,,0,,\n", "h.csv: line 3: version: versions must increase");
        assertBad(History.HEADER + "\n0,0,NaN,,0,,\n", "h.csv: line 2: batchLoss: must be a number or empty");
        ModelException missing = assertThrows(ModelException.class, () -> History.read(dir.resolve("none.csv")));
        assertTrue(missing.getMessage().endsWith("none.csv: no such file"), missing.getMessage());
    }

    private void assertBad(String text, String message) throws Exception {
        Path csv = Files.writeString(dir.resolve("h.csv"), text);
        ModelException e = assertThrows(ModelException.class, () -> History.read(csv));
        assertTrue(e.getMessage().startsWith(csv + ": ") && e.getMessage().contains(message.substring("h.csv: ".length())),
                e.getMessage() + " should say " + message);
    }
}
