package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.diff.FileChange;
import dev.coral.io.FaultPoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} while another process moves a tracked file away and back (a training script
 * rotating its checkpoints, {@code coral mv}): it never fails, and tells the file deleted while it
 * is away. It failed with "m.safetensors: no such file or folder" when the file went between the
 * check that it is there and its comparison (found by the concurrent fuzz, `coral mv` beside
 * `coral status`); {@code ListingBesideWritersTest.aTrackedFileGoneWhileComparedReadsAsGone} is
 * the sure test of that window, this one the whole command beside a mover.
 */
class StatusBesideMovesTest {
    @TempDir
    Path dir;

    @AfterEach
    void noFaults() {
        FaultPoints.install(null);
    }

    /**
     * {@code diff} of the working files lists them as status does, then reads the modified ones: one
     * another process moved away in between is deleted, as status would now say (it failed
     * "m.safetensors: not a regular file"). A file that is there and not a weight file's kind is still refused.
     */
    @Test
    void diffOfAModifiedFileMovedAwayAfterTheListingCallsItDeleted() throws Exception {
        Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(7, 2, 1_000));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
            TestModels.writeSafetensors(m, TestModels.randomTensors(8, 2, 1_000));
            FaultPoints.install(p -> {
                if (p.equals("diff.listed")) {
                    Files.move(m, dir.resolve("elsewhere"), StandardCopyOption.REPLACE_EXISTING);
                }
            });
            List<FileChange> changes = repo.diff(DiffSide.INDEX, DiffSide.WORK_TREE, List.of());
            assertEquals(1, changes.size(), changes.toString());
            assertEquals(FileChange.Kind.DELETED, changes.get(0).kind());
            assertEquals("m.safetensors", changes.get(0).path());
        }
    }

    @Test
    void statusBesideAFileMovedAwayAndBackNeverFails() throws Exception {
        Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(7, 2, 100_000));
        Path away = dir.resolve("m.safetensors.away");
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService mover = Executors.newSingleThreadExecutor();
            Set<Status.Kind> seen = EnumSet.noneOf(Status.Kind.class);
            try {
                Future<?> moves = mover.submit(() -> {
                    for (long i = 0; !stop.get(); i++) {
                        Files.move(m, away, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(away, m, StandardCopyOption.REPLACE_EXISTING);
                        Files.setLastModifiedTime(m, FileTime.fromMillis(1_600_000_000_000L + i * 1000)); // compared by content
                    }
                    return null;
                });
                for (int n = 0; n < 300; n++) {
                    for (Status.Change c : repo.status().notStaged()) {
                        assertEquals("m.safetensors", c.path(), "status " + n);
                        seen.add(c.kind());
                    }
                }
                stop.set(true);
                moves.get();
            } finally {
                stop.set(true);
                mover.shutdownNow();
            }
            assertTrue(EnumSet.of(Status.Kind.DELETED, Status.Kind.MODIFIED).containsAll(seen), "seen: " + seen);
        }
    }
}
