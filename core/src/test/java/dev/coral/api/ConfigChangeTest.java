package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.ChainShape;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings change in place: persisted, used by the handle at once, refused when out of range
 * without touching the file, and a damaged config is rewritten. An old repository adopts runs
 * of deltas through {@code setConfig} + {@code repack}, its commits unchanged.
 */
class ConfigChangeTest {
    @TempDir
    Path dir;

    @Test
    void settingsArePersistedCheckedAndRepaired() throws Exception {
        try (Repository repo = Repository.init(dir)) {
            repo.setConfig("delta.max-depth", "6");
            repo.setConfig("delta.run", "2");
            assertEquals(new ChainShape(6, 2), repo.config().chainShape());
            byte[] before = Files.readAllBytes(dir.resolve(".coral/config"));
            assertThrows(BadInputException.class, () -> repo.setConfig("delta.run", "9"));
            assertThrows(BadInputException.class, () -> repo.setConfig("colour", "blue"));
            assertArrayEquals(before, Files.readAllBytes(dir.resolve(".coral/config")), "a refused setting leaves the file alone");
        }
        try (Repository repo = Repository.open(dir)) {
            assertEquals(new ChainShape(6, 2), repo.config().chainShape(), "persisted");
        }
        Files.write(dir.resolve(".coral/config"), new byte[] {1, 2, 3});
        try (Repository repo = Repository.open(dir)) {
            assertNotNull(repo.configProblem());
            repo.setConfig("zstd.level", "3");
            assertNull(repo.configProblem(), "rewritten");
            assertEquals(RepositoryConfig.defaults().withZstdLevel(3), repo.config());
        }
        try (Repository repo = Repository.open(dir)) {
            assertNull(repo.configProblem());
            assertEquals(3, repo.config().zstdLevel());
        }
    }

    @Test
    void anOldRepositoryAdoptsRunsOfDeltasThroughRepack() throws Exception {
        List<byte[]> versions;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withMaxChainDepth(5).withDeltaRun(1))) {
            versions = DriftingTensor.commit(repo, 4096, 12, 11);
            assertEquals(3, depthOfVersion(repo, 7), "skip-delta: version 7 = 0b111 is 3 deltas deep");
            repo.setConfig("delta.max-depth", "12");
            repo.setConfig("delta.run", "8");
            List<String> ids = repo.log("HEAD", -1).stream().map(e -> e.id().hex()).toList();
            repo.repack();
            assertEquals(ids, repo.log("HEAD", -1).stream().map(e -> e.id().hex()).toList(), "same commits");
            assertEquals(7, depthOfVersion(repo, 7), "runs: version 7 is a delta against 6, 6 against 5, ... down to 0");
            assertEquals(1, depthOfVersion(repo, 8), "version 8 starts a run: a delta against version 0");
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            for (int v = 0; v < versions.size(); v++) {
                try (InputStream in = repo.tensor(log.get(versions.size() - 1 - v).id().hex(), "m.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(versions.get(v), in.readAllBytes(), "v" + v);
                }
            }
            assertTrue(repo.fsck(false).clean());
        }
    }

    private static int depthOfVersion(Repository repo, int v) throws Exception {
        List<CommitWalk.Entry> log = repo.log("HEAD", -1);
        String rev = log.get(log.size() - 1 - v).id().hex();
        ChunkRef c = repo.tensor(rev, "m.safetensors", "w").object().chunks().get(0);
        return repo.chainDepth(c.id());
    }
}
