package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
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
 * git's "racy" entries: a file staged or checked out less than two seconds before the staging
 * index was written may have been written again, after Coral read it, within the clock's
 * granularity (two seconds on FAT, a second on some others), keeping its size and time with other
 * bytes. Such an entry is not trusted by size and time: {@code status} compares the file by
 * content and shows it modified, a checkout refuses to overwrite it (and a forced one restores
 * it), and once a status has found it intact with the index written past the window, it is
 * trusted again. Each test makes that modification, same size and same time stamp, as a file
 * system with coarse time stamps would leave it.
 */
class RacyEntryTest {
    @TempDir
    Path dir;
    private Path m;
    private byte[] second;

    /** Two commits of m, the second of a file written just now: its entry is racy. */
    @BeforeEach
    void committedJustNow() throws IOException {
        m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 3000));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 3000));
            repo.commit(CommitRequest.of("two"), List.of(m));
        }
        second = Files.readAllBytes(m);
    }

    /** Other bytes in place, the same size, and the time stamp the file had. */
    private void modifyWithinTheSameTick() throws IOException {
        FileTime t = Files.getLastModifiedTime(m);
        try (RandomAccessFile raf = new RandomAccessFile(m.toFile(), "rw")) {
            raf.seek(raf.length() - 1);
            int last = raf.read();
            raf.seek(raf.length() - 1);
            raf.write(last ^ 0x40);
        }
        Files.setLastModifiedTime(m, t);
    }

    private static StagingIndex.Entry entry(Repository repo) throws IOException {
        return repo.readIndex().entries().get("m.safetensors");
    }

    @Test
    void statusShowsTheModification() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            assertEquals(StagingIndex.UNVERIFIED, entry(repo).mtimeMillis(), "racy: compared by content");
            assertTrue(repo.status().notStaged().isEmpty(), "intact");
            modifyWithinTheSameTick();
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }

    @Test
    void checkoutRefusesToOverwriteItAndAForcedOneRestoresIt() throws IOException {
        modifyWithinTheSameTick();
        byte[] modified = Files.readAllBytes(m);
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false));
            assertTrue(x.getMessage().contains("local changes to m.safetensors"), x.getMessage());
            assertArrayEquals(modified, Files.readAllBytes(m), "the modification is kept");

            repo.checkout("HEAD", true); // the index tracks HEAD's file: forced, it must still find the file changed
            assertArrayEquals(second, Files.readAllBytes(m), "restored");
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void addReadsItAgain() throws IOException {
        modifyWithinTheSameTick();
        try (Repository repo = Repository.open(dir)) {
            Repository.AddResult r = repo.add(List.of(m));
            assertTrue(r.unchanged().isEmpty(), "read again, not taken as unchanged");
            assertTrue(repo.status().notStaged().isEmpty());
            assertTrue(repo.status().staged().contains(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")));
        }
    }

    @Test
    void aFileACheckoutJustWroteStaysUnsyncedWhenAddedUnchanged() throws IOException {
        Assumptions.assumeTrue(BootId.current().isPresent(),
                "NOT TESTED: this platform has no boot id (not Linux), so checkouts fsync their files and mark none unsynced");
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD~1", true); // written into the page cache, its entry racy
            repo.add(List.of(m)); // unchanged: its bytes may still be in the page cache only
            assertTrue(entry(repo).unsynced());
            TestModels.writeSafetensors(m, TestModels.randomTensors(5, 2, 3000));
            repo.add(List.of(m)); // written since by someone else: theirs to sync
            assertFalse(entry(repo).unsynced());
        }
    }

    @Test
    void onceFoundIntactPastTheWindowItIsTrustedAgain() throws IOException {
        long old = System.currentTimeMillis() - 60_000;
        Files.setLastModifiedTime(m, FileTime.fromMillis(old)); // touched: same bytes, a time long past
        try (Repository repo = Repository.open(dir)) {
            assertTrue(repo.status().notStaged().isEmpty(), "the same bytes");
            assertEquals(old, entry(repo).mtimeMillis(), "restamped, and the index written two seconds past its time");
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void aLossyEntryIsComparedByTheWorkingFilesOwnHash() throws IOException {
        // the lossy commit's file entry records the bytes it decodes to, not the working file's:
        // its CRC32C must not be taken for the working file's
        java.util.Random r = new java.util.Random(3);
        List<dev.coral.format.TensorSource> next = new java.util.ArrayList<>();
        for (dev.coral.format.TensorSource t : TestModels.randomTensors(2, 2, 3000)) { // HEAD's shapes: something to quantize against
            byte[] b = new byte[(int) t.spec().byteSize()];
            r.nextBytes(b);
            next.add(Tensors.of(t.name(), t.spec(), b));
        }
        TestModels.writeSafetensors(m, next);
        try (Repository repo = Repository.open(dir)) {
            repo.commit(CommitRequest.of("lossy").withLossy("1e-2"), List.of(m));
            assertTrue(repo.fileAt("HEAD", "m.safetensors").isLossy());
            assertEquals(StagingIndex.UNVERIFIED, entry(repo).mtimeMillis(), "racy");
            assertTrue(repo.status().notStaged().isEmpty(), "the working file is what was committed lossy");
            modifyWithinTheSameTick();
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }
}
