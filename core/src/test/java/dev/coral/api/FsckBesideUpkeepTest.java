package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.maintenance.FsckReport;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsck right after each commit of a training loop, on the same handle, while the handle's upkeep
 * merges its small packs on a thread of its own (every 64 packs). Found by fuzzing the Java API:
 * fsck reported the merged packs' objects as in a missing pack (1-3 times in 300 steps, up to 30
 * problems each), because the merge deleted them while it read. fsck now holds the gc lock,
 * under which merges, gc and repack delete packs (waiting up to two seconds for one running).
 */
class FsckBesideUpkeepTest {
    @TempDir
    Path dir;

    @Test
    void fsckIsCleanWhileTheUpkeepMergesPacks() throws Exception {
        Random r = new Random(2);
        int checked = 0;
        try (Repository repo = Repository.init(dir)) {
            for (int i = 0; i < 140; i++) {
                byte[] x = new byte[64];
                r.nextBytes(x);
                repo.commitTensors("m" + (i % 3) + ".safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, 16), x)), Map.of(),
                        CommitRequest.of("step " + i));
                if (i % 64 >= 56 || i % 64 <= 8) { // around the merges
                    FsckReport report = repo.fsck(false);
                    assertTrue(report.clean(), "after step " + i + ": " + report.problems());
                    checked++;
                }
            }
        }
        assertEquals(43, checked, "fsck ran around both merges");
    }
}
