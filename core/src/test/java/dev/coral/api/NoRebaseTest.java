package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.LockFailedException;
import dev.coral.io.FaultPoints;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A commit whose branch moved while its files were stored is made on the new tip, or, with --no-rebase, refused. */
class NoRebaseTest {
    @TempDir
    Path dir;

    private ObjectId[] interleaved(Repository repo, boolean rebase) throws Exception {
        Path m = TestModels.writeSafetensors(dir.resolve("mine.safetensors"), TestModels.randomTensors(rebase ? 1 : 2, 2, 100));
        AtomicBoolean once = new AtomicBoolean();
        ObjectId[] other = new ObjectId[1];
        FaultPoints.install(point -> {
            if (point.equals("commit.storedBeforeLock") && once.compareAndSet(false, true)) {
                // another writer commits between this commit's storing and its staging lock
                other[0] = repo.commitTensors("other.safetensors", List.of(Tensors.of("t", TensorSpec.of(DType.U8, 1),
                        new byte[] {(byte) (rebase ? 1 : 2)})), Map.of(), CommitRequest.of("other"));
            }
        });
        try {
            return new ObjectId[] {repo.commit(CommitRequest.of("mine"), List.of(m), rebase), other[0]};
        } finally {
            FaultPoints.install(null);
        }
    }

    @Test
    void byDefaultTheCommitGoesOnTopOfTheMovedBranch() throws Exception {
        try (Repository repo = Repository.init(dir)) {
            ObjectId[] ids = interleaved(repo, true);
            assertEquals(List.of(ids[1]), repo.readCommit(ids[0]).parents());
            assertEquals(ids[0], repo.headCommit());
        }
    }

    @Test
    void withNoRebaseTheCommitIsRefused() throws Exception {
        try (Repository repo = Repository.init(dir)) {
            LockFailedException e = assertThrows(LockFailedException.class, () -> interleaved(repo, false));
            assertTrue(e.getMessage().contains("--no-rebase"), e.getMessage());
            assertEquals(1, repo.log("HEAD", -1).size(), "only the other writer's commit");
        }
    }
}
