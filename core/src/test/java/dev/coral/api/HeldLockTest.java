package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.LockFailedException;
import dev.coral.maintenance.Finding;
import dev.coral.maintenance.FsckReport;
import dev.coral.repo.StagingIndex;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command that fails because another writer holds a lock it needs changes nothing (found by
 * fuzzing: a checkout whose HEAD lock was held had already written the files and the staging
 * index, so the next plain commit committed the old version on top of the branch; a failed
 * {@code commit PATH} left PATH staged). A folder in place of a lock file is named, reported by
 * fsck and removed by gc once stale, and never read as a branch.
 */
class HeldLockTest {
    @TempDir
    Path dir;
    private Path m;
    private ObjectId first;

    @BeforeEach
    void twoCommits() throws IOException {
        m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.init(dir)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(1, 2, 500));
            first = repo.commit(CommitRequest.of("one"), List.of(m));
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 500));
            repo.commit(CommitRequest.of("two"), List.of(m));
        }
    }

    /** A lock a live writer elsewhere holds: an owner whose process cannot be checked, and young. */
    private Path heldBySomeoneElse(String name) throws IOException {
        return Files.writeString(dir.resolve(".coral").resolve(name), "coral-lock 1 another-host\n");
    }

    @Test
    void aCheckoutThatCannotTakeHeadsLockWritesNothing() throws IOException {
        Path lock = heldBySomeoneElse("HEAD.lock");
        byte[] before = Files.readAllBytes(m);
        byte[] index = Files.readAllBytes(dir.resolve(".coral/index"));
        try (Repository repo = Repository.open(dir)) {
            LockFailedException e = assertThrows(LockFailedException.class, () -> repo.checkout(first.hex(), false));
            assertTrue(e.getMessage().contains("HEAD.lock") && e.getMessage().contains("held by another writer"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(m), "the file is as it was");
            assertArrayEquals(index, Files.readAllBytes(dir.resolve(".coral/index")), "and the staging index");
            assertTrue(repo.status().isClean(), repo.status().toString());
            Files.delete(lock);
            repo.checkout(first.hex(), false);
            assertEquals(first, repo.headCommit());
        }
    }

    @Test
    void aCommitOfAPathThatCannotMoveTheBranchLeavesNothingStaged() throws IOException {
        TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 500));
        Path lock = heldBySomeoneElse("refs/heads/main.lock");
        try (Repository repo = Repository.open(dir)) {
            StagingIndex before = repo.readIndex();
            ObjectId head = repo.headCommit();
            assertThrows(LockFailedException.class, () -> repo.commit(CommitRequest.of("three"), List.of(m)));
            assertEquals(head, repo.headCommit());
            assertEquals(before.entries().keySet(), repo.readIndex().entries().keySet());
            assertEquals(before.entries().get("m.safetensors").fileEntry(), repo.readIndex().entries().get("m.safetensors").fileEntry(),
                    "the path is not left staged");
            assertFalse(repo.status().isClean(), "the file is a change not staged, as before the commit");
            Files.delete(lock);
            repo.commit(CommitRequest.of("three"), List.of(m));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void aFolderInPlaceOfALockIsNamedReportedAndRemovedOnceStale() throws IOException {
        Path folder = Files.createDirectories(dir.resolve(".coral/refs/heads/main.lock"));
        Files.writeString(folder.resolve("x"), "not a ref");
        TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 500));
        try (Repository repo = Repository.open(dir)) {
            assertEquals(List.of("main"), repo.branches(), "no branch is read inside it");
            LockFailedException e = assertThrows(LockFailedException.class, () -> repo.commit(CommitRequest.of("three"), List.of(m)));
            assertTrue(e.getMessage().contains("main.lock: a folder is in place of this lock file"), e.getMessage());
            FsckReport r = repo.fsck(false);
            assertTrue(r.clean(), r.toString());
            List<Finding> named = r.warnings().stream().filter(f -> f.file().equals("refs/heads/main.lock")).toList();
            assertEquals(1, named.size(), r.warnings().toString());
            repo.gc(false, Duration.ZERO);
            assertTrue(Files.exists(folder), "a young one may be someone's: kept");
            Files.setLastModifiedTime(folder, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            repo.gc(false, Duration.ZERO);
            assertFalse(Files.exists(folder), "a stale one goes");
            repo.commit(CommitRequest.of("three"), List.of(m));
        }
    }

    /** The same in .coral/locks, where fsck passed it over ("no problems" while every add failed; found by fuzzing). */
    @Test
    void aFolderInPlaceOfTheIndexLockIsReportedAndRemovedOnceStale() throws IOException {
        Files.deleteIfExists(dir.resolve(".coral/locks/index.lock")); // lock files stay between holders
        Path folder = Files.createDirectories(dir.resolve(".coral/locks/index.lock"));
        TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 500));
        try (Repository repo = Repository.open(dir)) {
            assertThrows(java.io.IOException.class, () -> repo.add(List.of(m)));
            FsckReport r = repo.fsck(false);
            List<Finding> named = r.warnings().stream().filter(f -> f.file().equals("locks/index.lock")).toList();
            assertEquals(1, named.size(), r.warnings().toString());
            assertTrue(named.get(0).message().contains("folder in place of a lock file"), named.toString());
            assertTrue(r.warnings().stream().noneMatch(f -> f.file().startsWith("locks/") && !f.file().equals("locks/index.lock")),
                    "the lock files themselves are no leftovers: " + r.warnings());
            repo.gc(false, Duration.ZERO); // a young one kept, and gc runs all the same (it takes the index lock for the working folder)
            assertTrue(Files.isDirectory(folder), "a young one may be someone's: kept");
            Files.setLastModifiedTime(folder, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            repo.gc(false, Duration.ZERO);
            assertFalse(Files.isDirectory(folder), "a stale one goes (the lock file gc then takes for the working folder may stay)");
            repo.add(List.of(m));
        }
    }
}
