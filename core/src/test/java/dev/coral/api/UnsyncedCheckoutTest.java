package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.BinaryWriter;
import dev.coral.io.BootId;
import dev.coral.io.ChecksummedFile;
import dev.coral.repo.StagingIndex;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkout leaves its files in the page cache without fsync and marks them unsynced in the
 * staging index, with the boot they were written in. In that boot their size and time are trusted
 * (as git trusts them); after a reboot, a crash may have lost their bytes and kept their size, so
 * {@code status} compares them by content: a file damaged that way shows as modified, an intact
 * one does not, and a forced checkout restores the damaged one.
 */
class UnsyncedCheckoutTest {
    @TempDir
    Path dir;

    /** The index as if written in another boot: its boot id replaced, all else kept. */
    private static void rewriteAsIfInAnotherBoot(Path index) throws IOException {
        ChecksummedFile.Body b = ChecksummedFile.read(index, "CORALSTG", 2, 2);
        byte[] body = b.bytes();
        int idLength = body[0];
        assertTrue(idLength > 0, "a one-byte length: boot ids are 36 characters");
        byte[] rest = Arrays.copyOfRange(body, 1 + idLength, body.length);
        ChecksummedFile.write(index, "CORALSTG", 2, new BinaryWriter().string("a-boot-before-a-crash").bytes(rest).toByteArray());
    }

    /** Damages {@code f} as a crash can: other bytes (zeros), the same size, the same time. */
    private static void loseBytesKeepingSizeAndTime(Path f) throws IOException {
        FileTime t = Files.getLastModifiedTime(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            raf.write(new byte[(int) (raf.length() - raf.length() / 2)]);
        }
        Files.setLastModifiedTime(f, t);
    }

    @Test
    void afterARebootACheckedOutFileIsComparedByContent() throws IOException {
        Assumptions.assumeTrue(BootId.current().isPresent(),
                "NOT TESTED: this platform has no boot id (not Linux), so checkouts fsync their files and mark none unsynced");
        Path a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 3, 5000));
        Path b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(2, 3, 5000));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("one"));
            TestModels.writeSafetensors(a, TestModels.randomTensors(3, 3, 5000));
            TestModels.writeSafetensors(b, TestModels.randomTensors(4, 3, 5000));
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("two"));
            repo.checkout("HEAD~1", true);
            for (String p : List.of("a.safetensors", "b.safetensors")) {
                StagingIndex.Entry e = repo.readIndex().entries().get(p);
                assertTrue(e.unsynced(), p + ": written by the checkout without fsync");
                assertEquals(Files.getLastModifiedTime(dir.resolve(p)).toMillis(), e.mtimeMillis());
            }
            String committed = TestModels.sha256(a);

            // In the boot that wrote them, size and time are trusted: status does not read the file.
            loseBytesKeepingSizeAndTime(a);
            assertTrue(repo.status().notStaged().isEmpty(), "same boot: the stat is trusted, as git trusts it");

            rewriteAsIfInAnotherBoot(repo.indexFile());
            Status s = repo.status();
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "a.safetensors")), s.notStaged(),
                    "after a reboot the damaged file is found by its content; the intact one is not reported");
            StagingIndex.Entry e = repo.readIndex().entries().get("a.safetensors");
            assertEquals(StagingIndex.UNVERIFIED, e.mtimeMillis());

            repo.checkout("HEAD", true);
            assertEquals(committed, TestModels.sha256(a), "a forced checkout restores it");
            assertTrue(repo.status().notStaged().isEmpty());
            assertTrue(repo.readIndex().entries().get("a.safetensors").unsynced());
        }
    }
}
