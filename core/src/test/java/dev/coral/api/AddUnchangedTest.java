package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.StagingIndex;
import dev.coral.repo.WorkTree;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code add} does not read a file again whose size and time are as its staging entry recorded
 * them (what {@code status} trusts), unless the entry is racy (the file was modified within
 * {@link WorkTree#RACY_MILLIS} before the index was written) or lossy (a new add stages the exact
 * bytes). Whether a file was read shows in the chunk counts: a file read again deduplicates every
 * chunk, a file not read counts none.
 */
class AddUnchangedTest {
    @TempDir
    Path dir;

    /** Seconds in the past: far from racy. */
    private static final long AN_HOUR_AGO = System.currentTimeMillis() - 3_600_000;

    private Path model(String name, int seed) throws IOException {
        Path p = TestModels.writeSafetensors(dir.resolve(name), TestModels.randomTensors(seed, 3, 2000));
        Files.setLastModifiedTime(p, FileTime.fromMillis(AN_HOUR_AGO));
        return p;
    }

    /** Overwrites the last byte of {@code p} with another value (same size) and gives it back time {@code millis}. */
    private static void changeInPlace(Path p, long millis) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(raf.length() - 1);
            int last = raf.read();
            raf.seek(raf.length() - 1);
            raf.write(last ^ 0x40);
        }
        Files.setLastModifiedTime(p, FileTime.fromMillis(millis));
    }

    private static void assertSame(StagingIndex.Entry want, StagingIndex.Entry got) {
        assertEquals(want.fileEntry(), got.fileEntry());
        assertEquals(want.size(), got.size());
        assertEquals(want.mtimeMillis(), got.mtimeMillis());
        assertTrue(java.util.Arrays.equals(want.sha256(), got.sha256()));
    }

    @Test
    void aFolderOfUnchangedFilesIsNotReadAgainAndAChangedOneIs() throws IOException {
        Path a = model("a.safetensors", 1);
        Path b = model("b.safetensors", 2);
        try (Repository repo = Repository.init(dir)) {
            Repository.AddResult first = repo.add(List.of(dir));
            assertTrue(first.chunksWritten() > 0);
            assertTrue(first.unchanged().isEmpty());
            repo.commit(CommitRequest.of("one"));
            StagingIndex staged = repo.readIndex();

            Repository.AddResult again = repo.add(List.of(dir));
            assertEquals(List.of("a.safetensors", "b.safetensors"), again.staged());
            assertEquals(List.of("a.safetensors", "b.safetensors"), again.unchanged());
            assertEquals(0, again.chunksWritten() + again.chunksDeduplicated(), "neither file was read");
            assertEquals(staged.entries().keySet(), repo.readIndex().entries().keySet());
            assertSame(staged.entries().get("a.safetensors"), repo.readIndex().entries().get("a.safetensors"));

            TestModels.writeSafetensors(b, TestModels.randomTensors(3, 3, 2000)); // new bytes, new time
            Repository.AddResult changed = repo.add(List.of(dir));
            assertEquals(List.of("a.safetensors"), changed.unchanged());
            assertTrue(changed.chunksWritten() > 0, "b was read and stored");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "b.safetensors")), repo.status().staged());
        }
    }

    @Test
    void aRacyEntryIsReadAgainSoSameSizeSameTimeChangesAreFound() throws IOException {
        Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(4, 3, 2000));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(m)); // the file was written just now: its entry is racy
            ObjectId first = repo.readIndex().entries().get("m.safetensors").fileEntry();
            long recorded = repo.readIndex().entries().get("m.safetensors").mtimeMillis();
            changeInPlace(m, recorded); // other bytes, same size and time: only reading tells
            Repository.AddResult r = repo.add(List.of(m));
            assertTrue(r.unchanged().isEmpty(), "a racy entry is read again");
            assertNotEquals(first, repo.readIndex().entries().get("m.safetensors").fileEntry(), "the change is staged");
        }
    }

    /** A float model: 5,000 weights N(0, 0.05) from {@code seed}, each moved by N(0, drift); written an hour ago plus {@code step} seconds. */
    private Path floats(long seed, double drift, int step) throws IOException {
        java.util.Random r = new java.util.Random(seed);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(5000 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.util.Random d = new java.util.Random(seed + 1);
        for (int i = 0; i < 5000; i++) {
            b.putFloat((float) (r.nextGaussian() * 0.05 + d.nextGaussian() * drift));
        }
        Path p = TestModels.writeSafetensors(dir.resolve("m.safetensors"),
                List.of(Tensors.of("w", dev.coral.tensor.TensorSpec.of(dev.coral.tensor.DType.F32, 5000), b.array())));
        Files.setLastModifiedTime(p, FileTime.fromMillis(AN_HOUR_AGO + 1000L * step));
        return p;
    }

    /** Commits the model of {@code seed} exactly, then a step of it with {@code commit --lossy=1e-2 m.safetensors}; the file. */
    private Path committedLossy(Repository repo, long seed) throws IOException {
        repo.commit(CommitRequest.of("one"), List.of(floats(seed, 0, 0)));
        Path m = floats(seed, 1e-3, 1);
        repo.commit(CommitRequest.of("lossy").withLossy("1e-2"), List.of(m));
        assertTrue(repo.fileAt("HEAD", "m.safetensors").isLossy());
        return m;
    }

    @Test
    void aLossyEntryIsReplacedByTheFilesExactBytes() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = committedLossy(repo, 7);
            assertTrue(repo.status().notStaged().isEmpty(), "the working file is what was committed lossy");

            Repository.AddResult r = repo.add(List.of(m));
            assertTrue(r.unchanged().isEmpty(), "add stages the exact bytes over a lossy entry: it reads the file");
            assertFalse(repo.graph().file(repo.readIndex().entries().get("m.safetensors").fileEntry()).isLossy());
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().staged());
        }
    }

    /**
     * The file a checkout of a lossy commit wrote is that commit's version: staged again, even
     * right after the checkout (racy, so read again), it stays the lossy entry (found by fuzzing:
     * a new, lossless version of the same values, and a commit of them).
     */
    @Test
    void theFileALossyCheckoutWroteIsTheLossyVersion() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = committedLossy(repo, 9);
            ObjectId lossy = repo.readIndex().entries().get("m.safetensors").fileEntry();
            Files.delete(m);
            repo.checkout("HEAD", true);
            repo.add(List.of(m));
            assertEquals(lossy, repo.readIndex().entries().get("m.safetensors").fileEntry());
            assertTrue(repo.status().isClean(), repo.status().toString());
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> repo.commit(CommitRequest.of("again")));
            assertTrue(e.getMessage().contains("nothing to commit"), e.getMessage());
        }
    }

    @Test
    void aLossyCommitOfAnUnchangedPathKeepsHeadsEntryWithoutReadingIt() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = committedLossy(repo, 8);
            StagingIndex.Entry lossy = repo.readIndex().entries().get("m.safetensors");
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> repo.commit(CommitRequest.of("again").withLossy("1e-3"), List.of(m)));
            assertTrue(e.getMessage().contains("nothing to commit"), e.getMessage());
            assertSame(lossy, repo.readIndex().entries().get("m.safetensors"));
            assertEquals(List.of("m.safetensors"), repo.add(List.of(m)).staged());
        }
    }

    /**
     * The same bytes staged again keep the entry they were staged or committed as, even where
     * storing them now makes another entry (here, under another chunk size; and an npz committed
     * before npz was restored byte for byte): the tree stays as it was, as git's does.
     */
    @Test
    void theSameBytesStagedAgainKeepTheirEntryWhenStoringThemNowMakesAnother() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = model("m.safetensors", 9);
            repo.add(List.of(m));
            ObjectId one = repo.commit(CommitRequest.of("one"));
            ObjectId entry = repo.readIndex().entries().get("m.safetensors").fileEntry();
            repo.setConfig("chunk.bytes", "1024");
            Files.setLastModifiedTime(m, FileTime.fromMillis(AN_HOUR_AGO + 1000)); // read again, not trusted by its stat
            Repository.AddResult r = repo.add(List.of(m));
            assertTrue(r.chunksWritten() > 0, "stored again in 1 KiB chunks: another entry is made, " + r);
            assertEquals(entry, repo.readIndex().entries().get("m.safetensors").fileEntry());
            assertTrue(repo.status().isClean(), repo.status().toString());

            repo.remove(List.of(m), true); // no staged entry: HEAD's is kept
            repo.add(List.of(m));
            assertEquals(entry, repo.readIndex().entries().get("m.safetensors").fileEntry());
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> repo.commit(CommitRequest.of("two")));
            assertTrue(e.getMessage().contains("nothing to commit"), e.getMessage());
            assertEquals(one, repo.headCommit());

            changeInPlace(m, AN_HOUR_AGO + 2000); // other bytes: a new entry, as before
            repo.add(List.of(m));
            assertNotEquals(entry, repo.readIndex().entries().get("m.safetensors").fileEntry());
        }
    }
}
