package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.BootId;
import dev.coral.repo.StagingIndex;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} of a file whose time changed and bytes did not (touched, or written again the
 * same) reads it once: the staging index takes the new time, marked unsynced (trusted in this boot
 * only), so the next status compares size and time alone, as git refreshes its index. A file
 * changed to other bytes of the same size is reported and not restamped; a file stamped within
 * the last two seconds is not restamped (it could still change within the clock's granularity).
 */
class StatusRestampTest {
    @TempDir
    Path dir;
    private Path m;

    @BeforeEach
    void committed() throws IOException {
        Assumptions.assumeTrue(BootId.current().isPresent(),
                "NOT TESTED: this platform has no boot id (not Linux), so status restamps nothing and reads a touched file every time");
        m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 3000));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
            TestModels.backdate(repo, 120_000); // not racy: its size and time are trusted
        }
    }

    private StagingIndex.Entry entry(Repository repo) throws IOException {
        return repo.readIndex().entries().get("m.safetensors");
    }

    private void stamp(long millis) throws IOException {
        Files.setLastModifiedTime(m, FileTime.fromMillis(millis));
    }

    @Test
    void aTouchedFileIsReadOnceAndRestamped() throws IOException {
        long touched = System.currentTimeMillis() - 60_000;
        try (Repository repo = Repository.open(dir)) {
            long before = entry(repo).mtimeMillis();
            stamp(touched);
            assertTrue(before != touched);
            assertTrue(repo.status().notStaged().isEmpty(), "same bytes: not modified");
            StagingIndex.Entry e = entry(repo);
            assertEquals(touched, e.mtimeMillis(), "restamped with the file's time");
            assertTrue(e.unsynced(), "trusted in this boot only");
            assertTrue(repo.status().notStaged().isEmpty());
            assertEquals(touched, entry(repo).mtimeMillis());
        }
        try (Repository repo = Repository.open(dir)) {
            UnsyncedCheckoutTest.rewriteAsIfInAnotherBoot(repo.indexFile());
            assertEquals(StagingIndex.UNVERIFIED, entry(repo).mtimeMillis(), "after a reboot: compared by content again");
            assertTrue(repo.status().notStaged().isEmpty());
            assertEquals(touched, entry(repo).mtimeMillis(), "and restamped again, read after the reboot");
            assertFalse(entry(repo).unsynced());
        }
    }

    @Test
    void otherBytesOfTheSameSizeAreModifiedAndNotRestamped() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            long recorded = entry(repo).mtimeMillis();
            try (RandomAccessFile raf = new RandomAccessFile(m.toFile(), "rw")) {
                raf.seek(raf.length() - 1);
                int last = raf.read();
                raf.seek(raf.length() - 1);
                raf.write(last ^ 1);
            }
            stamp(System.currentTimeMillis() - 60_000);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
            assertEquals(recorded, entry(repo).mtimeMillis(), "not restamped");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }

    @Test
    void aFileStampedJustNowIsNotRestamped() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            long recorded = entry(repo).mtimeMillis();
            stamp(System.currentTimeMillis() + 1); // racy: could still be written within the same tick
            assertTrue(repo.status().notStaged().isEmpty());
            assertEquals(recorded, entry(repo).mtimeMillis(), "left to be read again");
        }
    }
}
