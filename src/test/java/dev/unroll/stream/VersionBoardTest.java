package dev.unroll.stream;

import dev.unroll.model.Parameters;
import dev.unroll.record.ParameterVersion;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * After a JobManager takes over, attempt 0 of the job runs again under the epoch of the first
 * attempt 0, and in one TaskManager its new aggregator may open while the old one lingers: each
 * has a board of its own, so the old one's versions (further on, they would push the new one's
 * out of the S + 2 kept) never reach the new instances, and the old one's close leaves the new
 * board in place.
 */
class VersionBoardTest {
    @Test
    void anAggregatorOfAnEpochAlreadyOpenGetsABoardOfItsOwn() throws Exception {
        String epoch = UUID.randomUUID() + "/0";
        VersionBoard lingering = VersionBoard.open(epoch, 0);
        VersionBoard recovered = VersionBoard.open(epoch, 0);
        try {
            assertSame(recovered, VersionBoard.find(epoch), "instances find the newest aggregator's board");
            lingering.post(version(130));
            lingering.post(version(131));
            recovered.post(version(120));
            assertNotNull(recovered.await(120, 0), "the recovered aggregator's version, not pushed out");
            assertNull(recovered.await(131, 0), "no version of the lingering aggregator");
            VersionBoard.close(epoch, lingering);
            assertSame(recovered, VersionBoard.find(epoch), "the lingering aggregator's close leaves it");
        } finally {
            VersionBoard.close(epoch, recovered);
        }
        assertNull(VersionBoard.find(epoch));
    }

    private static ParameterVersion version(long number) {
        return new ParameterVersion("board", number, new Parameters(1, new double[] {1}, new double[] {0}, new double[] {0}));
    }
}
