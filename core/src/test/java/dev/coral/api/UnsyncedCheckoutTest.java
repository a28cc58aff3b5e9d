package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.BinaryWriter;
import dev.coral.io.BootId;
import dev.coral.io.ChecksummedFile;
import dev.coral.io.FaultPoints;
import dev.coral.repo.FileStamp;
import dev.coral.repo.StagingIndex;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkout leaves its files in the page cache without fsync and marks them unsynced in the
 * staging index, with the boot they were written in. In that boot their size and time are trusted
 * (as git trusts them); after a reboot, a crash may have lost their bytes and kept their size, so
 * they are compared by content: {@code status} shows a file damaged that way as modified, not an
 * intact one, which it restamps in the index (read once, not at every status); a forced checkout
 * restores the damaged one and keeps the intact one, restamped too. Adding a file the checkout
 * wrote, unchanged since, keeps it unsynced. With {@code checkout.fsync}, files are fsynced and
 * none is marked. A checkout failing with the old file set aside puts it back.
 */
class UnsyncedCheckoutTest {
    @TempDir
    Path dir;
    private Path a;
    private Path b;
    private String aCommitted;
    private long bTime;

    /** The index as if written in another boot: its boot id replaced, all else kept. */
    static void rewriteAsIfInAnotherBoot(Path index) throws IOException {
        ChecksummedFile.Body body = ChecksummedFile.read(index, "CORALSTG", 3, 3);
        byte[] bytes = body.bytes();
        int idLength = bytes[0];
        assertTrue(idLength > 0, "a one-byte length: boot ids are 36 characters");
        byte[] rest = Arrays.copyOfRange(bytes, 1 + idLength, bytes.length);
        ChecksummedFile.write(index, "CORALSTG", 3, new BinaryWriter().string("a-boot-before-a-crash").bytes(rest).toByteArray());
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

    /**
     * A crash that loses a file's bytes leaves its inode's ctime as the entry recorded it; a test
     * can only damage the file by writing it, which changes the ctime, so the entry takes the new one.
     */
    private static void keepChangeStampAsACrashWould(Repository repo, String path) throws IOException {
        java.util.TreeMap<String, StagingIndex.Entry> m = new java.util.TreeMap<>(repo.readIndex().entries());
        StagingIndex.Entry e = m.get(path);
        m.put(path, new StagingIndex.Entry(e.fileEntry(), e.size(), e.mtimeMillis(), FileStamp.of(repo.workTree().file(path)).change(),
                e.sha256(), e.unsynced()));
        new StagingIndex(m).write(repo.indexFile());
    }

    /** Two commits of a and b, the first checked out (unsynced), then a damaged as a crash can damage it. */
    @BeforeEach
    void checkedOutThenDamaged() throws IOException {
        Assumptions.assumeTrue(BootId.current().isPresent(),
                "NOT TESTED: this platform has no boot id (not Linux), so checkouts fsync their files and mark none unsynced");
        a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 3, 5000));
        b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(2, 3, 5000));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("one"));
            TestModels.writeSafetensors(a, TestModels.randomTensors(3, 3, 5000));
            TestModels.writeSafetensors(b, TestModels.randomTensors(4, 3, 5000));
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("two"));
            repo.checkout("HEAD~1", true);
            TestModels.backdate(repo, 10_000); // past the racy window, in which even this boot compares by content
            for (String p : List.of("a.safetensors", "b.safetensors")) {
                StagingIndex.Entry e = repo.readIndex().entries().get(p);
                assertTrue(e.unsynced(), p + ": written by the checkout without fsync");
                assertEquals(Files.getLastModifiedTime(dir.resolve(p)).toMillis(), e.mtimeMillis());
            }
            aCommitted = TestModels.sha256(a);
            bTime = Files.getLastModifiedTime(b).toMillis();
            loseBytesKeepingSizeAndTime(a);
            assertEquals(List.of("a.safetensors"), repo.status().notStaged().stream().map(Status.Change::path).toList(),
                    "a write keeping size and time changes the file's ctime, which the entry recorded");
            keepChangeStampAsACrashWould(repo, "a.safetensors");
            assertTrue(repo.status().notStaged().isEmpty(), "same boot: the stat is trusted, as git trusts it");
        }
    }

    @Test
    void afterARebootStatusFindsTheDamagedFileByContent() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            rewriteAsIfInAnotherBoot(repo.indexFile());
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "a.safetensors")), repo.status().notStaged(),
                    "after a reboot the damaged file is found by its content; the intact one is not reported");
            assertEquals(StagingIndex.UNVERIFIED, repo.readIndex().entries().get("a.safetensors").mtimeMillis(),
                    "the damaged file stays to be compared by content");
            StagingIndex.Entry intact = repo.readIndex().entries().get("b.safetensors");
            assertEquals(bTime, intact.mtimeMillis(), "the intact file, found so by content, is restamped");
            assertFalse(intact.unsynced());
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "a.safetensors")), repo.status().notStaged());

            repo.checkout("HEAD", true);
            assertEquals(aCommitted, TestModels.sha256(a), "a forced checkout restores it");
            assertTrue(repo.status().notStaged().isEmpty());
            assertTrue(repo.readIndex().entries().get("a.safetensors").unsynced());
        }
    }

    @Test
    void afterARebootAForcedCheckoutRestoresTheDamagedFileAndKeepsTheIntactOne() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            rewriteAsIfInAnotherBoot(repo.indexFile());
            repo.checkout("HEAD", true);
            assertEquals(aCommitted, TestModels.sha256(a), "restored");
            assertEquals(bTime, Files.getLastModifiedTime(b).toMillis(), "not written again");
            StagingIndex.Entry intact = repo.readIndex().entries().get("b.safetensors");
            assertEquals(bTime, intact.mtimeMillis(), "restamped");
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void withCheckoutFsyncTheFilesAreFsyncedAndNoneIsMarked() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.setConfig("checkout.fsync", "true");
        }
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("main", true); // both files change
            assertEquals(List.of("a.safetensors", "b.safetensors"), List.copyOf(repo.readIndex().entries().keySet()));
            assertTrue(repo.readIndex().entries().values().stream().noneMatch(StagingIndex.Entry::unsynced));
            byte[] body = ChecksummedFile.read(repo.indexFile(), "CORALSTG", 3, 3).bytes();
            assertEquals(0, body[0], "nothing unsynced: no boot recorded");
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void aCheckoutFailingWithTheOldFileSetAsidePutsItBackAndChangesNothing() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            byte[] aBefore = Files.readAllBytes(a);
            byte[] index = Files.readAllBytes(repo.indexFile());
            FaultPoints.install(p -> {
                if (p.equals("replace.setAside")) {
                    throw new IOException("injected at " + p);
                }
            });
            try {
                IOException x = assertThrows(IOException.class, () -> repo.checkout("main", true));
                assertTrue(x.getMessage().contains("injected"), x.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            assertArrayEquals(aBefore, Files.readAllBytes(a), "the old file is back at its name");
            assertArrayEquals(index, Files.readAllBytes(repo.indexFile()), "the index is as it was");
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList(),
                        "nothing left beside the files");
            }
            repo.checkout("main", true);
            assertTrue(repo.status().notStaged().isEmpty(), "the next checkout works");
        }
    }

    @Test
    void addingACheckedOutFileKeepsItUnsyncedUntilItIsWrittenAgain() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(b)); // as the checkout wrote it: its bytes may still be in the page cache only
            assertTrue(repo.readIndex().entries().get("b.safetensors").unsynced());
            TestModels.writeSafetensors(b, TestModels.randomTensors(5, 3, 5000));
            repo.add(List.of(b)); // written since by someone else: theirs to sync, as any file added
            assertFalse(repo.readIndex().entries().get("b.safetensors").unsynced());
        }
    }

    @Test
    void afterARebootAPlainCheckoutKeepsTheDamagedFileAsALocalEditThatStatusShows() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            rewriteAsIfInAnotherBoot(repo.indexFile());
            repo.checkout("HEAD", false);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "a.safetensors")), repo.status().notStaged());
        }
    }
}
