package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gc does not collect an old unreachable pack whose objects a writer has just reused. */
class FreshenTest {
    @TempDir
    Path dir;

    @Test
    void reusingObjectsOfAnOldUnreachablePackKeepsItFromGc() throws Exception {
        Path m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.init(dir)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(1, 2, 300));
            repo.commit(CommitRequest.of("base"), List.of(m));
            repo.createBranch("tmp", "HEAD");
            repo.switchBranch("tmp", false, false);
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 300));
            String sha = TestModels.sha256(m);
            repo.commit(CommitRequest.of("on tmp"), List.of(m));
            repo.switchBranch("main", false, true);
            repo.deleteBranch("tmp", true);
            long old = System.currentTimeMillis() - Duration.ofDays(30).toMillis();
            try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
                for (Path p : s.filter(p -> p.toString().endsWith(".idx")).toList()) {
                    Files.setLastModifiedTime(p, FileTime.fromMillis(old));
                }
            }
            // The unreachable version is added again (deduplicated: nothing new written), not yet committed.
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 300));
            assertEquals(0, repo.add(List.of(m)).chunksWritten());
            repo.gc(false, Duration.ofDays(14));
            repo.commit(CommitRequest.of("again"));
            Files.delete(m);
            repo.checkout("HEAD", true);
            assertEquals(sha, TestModels.sha256(m), "the reused chunks survived gc");
            assertTrue(repo.fsck(false).clean());
        }
    }
}
