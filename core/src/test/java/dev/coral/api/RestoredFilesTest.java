package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.coral.repo.FileStamp;
import dev.coral.repo.StagingIndex;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link RestoredFiles} takes a working file to hold: what a restore wrote there while the
 * file is as it left it, in this process or a later one ({@code .coral/cache/restored}).
 */
class RestoredFilesTest {
    @TempDir
    Path dir;

    private Path record() {
        return dir.resolve("coral").resolve("cache").resolve("restored");
    }

    private static StagingIndex.Entry entryOf(Path file, int tag) throws IOException {
        FileStamp st = FileStamp.of(file);
        return new StagingIndex.Entry(ObjectId.hashOf(new byte[] {(byte) tag}), st.size(), st.mtimeMillis(), st.change(), new byte[0], false);
    }

    private static void assertSameEntry(StagingIndex.Entry want, StagingIndex.Entry got) {
        assertEquals(want.fileEntry(), got.fileEntry());
        assertEquals(want.size(), got.size());
        assertEquals(want.mtimeMillis(), got.mtimeMillis());
        assertEquals(want.changeStamp(), got.changeStamp());
    }

    @Test
    void theRestoredVersionWhileTheFileIsAsItWasLeftInThisProcessAndTheNext() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1, 2, 3, 4});
        RestoredFiles r = new RestoredFiles(record());
        StagingIndex.Entry indexed = entryOf(f, 1);
        RestoredFiles.Written w = r.read();
        assertSame(indexed, w.atHand("m.safetensors", f, indexed), "nothing restored: the index's entry");
        StagingIndex.Entry wrote = entryOf(f, 2);
        w.wrote("m.safetensors", wrote);
        assertSame(wrote, w.atHand("m.safetensors", f, indexed));
        assertSame(indexed, w.atHand("other.safetensors", f, indexed), "another path");
        w.save();
        RestoredFiles.Written later = new RestoredFiles(record()).read(); // another process
        assertSameEntry(wrote, later.atHand("m.safetensors", f, null));
        later.staged("m.safetensors");
        later.save();
        assertSame(indexed, new RestoredFiles(record()).read().atHand("m.safetensors", f, indexed), "staged since: the index describes it");
    }

    @Test
    void aFileChangedSinceIsNotTakenForIt() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1, 2, 3, 4});
        RestoredFiles.Written w = new RestoredFiles(record()).read();
        w.wrote("m.safetensors", entryOf(f, 2));
        FileTime t = Files.getLastModifiedTime(f);
        sleepPastTheClockTick();
        Files.write(f, new byte[] {9, 9, 9, 9}); // same size
        Files.setLastModifiedTime(f, t); // and time put back (cp -p, rsync -t): the change stamp tells
        assertNull(w.atHand("m.safetensors", f, null));
        w.wrote("m.safetensors", entryOf(f, 3));
        Files.delete(f);
        assertNull(w.atHand("m.safetensors", f, null), "gone");
    }

    /** The kernel stamps ctime from a coarse clock (a tick of up to 10 ms): a rewrite within the tick keeps it. */
    private static void sleepPastTheClockTick() {
        try {
            Thread.sleep(25);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void onlyTheLastRestoredFilesAreKept() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1});
        RestoredFiles.Written w = new RestoredFiles(record()).read();
        StagingIndex.Entry[] wrote = new StagingIndex.Entry[RestoredFiles.KEPT + 1];
        for (int i = 0; i <= RestoredFiles.KEPT; i++) {
            wrote[i] = entryOf(f, i);
            w.wrote("p" + i, wrote[i]);
        }
        w.wrote("p1", wrote[1]); // written again: the most recent now
        w.wrote("p" + (RestoredFiles.KEPT + 1), entryOf(f, 99));
        w.save();
        RestoredFiles.Written later = new RestoredFiles(record()).read();
        assertNull(later.atHand("p0", f, null), "the least recently written left");
        assertNull(later.atHand("p2", f, null), "then the next");
        assertSameEntry(wrote[1], later.atHand("p1", f, null));
        for (int i = 3; i <= RestoredFiles.KEPT; i++) {
            assertSameEntry(wrote[i], later.atHand("p" + i, f, null));
        }
    }

    /** A record that does not verify (damaged, truncated, another kind of file) is taken as empty and written anew. */
    @Test
    void aDamagedRecordIsTakenAsEmptyAndWrittenAnew() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1, 2});
        RestoredFiles.Written w = new RestoredFiles(record()).read();
        w.wrote("m.safetensors", entryOf(f, 2));
        w.save();
        byte[] good = Files.readAllBytes(record());
        for (byte[] bad : new byte[][] {flipped(good, good.length / 2), java.util.Arrays.copyOf(good, good.length - 3), new byte[0],
                "CORALRST garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII)}) {
            Files.write(record(), bad);
            RestoredFiles.Written again = new RestoredFiles(record()).read();
            assertNull(again.atHand("m.safetensors", f, null));
            again.wrote("m.safetensors", entryOf(f, 3));
            again.save();
            assertFalse(java.util.Arrays.equals(bad, Files.readAllBytes(record())));
            assertSameEntry(entryOf(f, 3), new RestoredFiles(record()).read().atHand("m.safetensors", f, null));
        }
        Files.delete(record());
        Files.createDirectory(record()); // not a file: nothing recorded, and a write that cannot replace it loses only the hint
        RestoredFiles.Written none = new RestoredFiles(record()).read();
        none.wrote("m.safetensors", entryOf(f, 4));
        none.save();
        assertNull(new RestoredFiles(record()).read().atHand("m.safetensors", f, null));
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(f));
    }

    private static byte[] flipped(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 1;
        return c;
    }
}
