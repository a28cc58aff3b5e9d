package dev.coral.api;

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

/** What {@link RestoredFiles} takes a working file to hold: what a restore wrote there while the file is as it left it. */
class RestoredFilesTest {
    @TempDir
    Path dir;

    private static StagingIndex.Entry entryOf(Path file, int tag) throws IOException {
        FileStamp st = FileStamp.of(file);
        return new StagingIndex.Entry(ObjectId.hashOf(new byte[] {(byte) tag}), st.size(), st.mtimeMillis(), st.change(), new byte[32], false);
    }

    @Test
    void theRestoredVersionWhileTheFileIsAsItWasLeft() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1, 2, 3, 4});
        RestoredFiles r = new RestoredFiles();
        StagingIndex.Entry indexed = entryOf(f, 1);
        assertSame(indexed, r.atHand("m.safetensors", f, indexed), "nothing restored: the index's entry");
        StagingIndex.Entry wrote = entryOf(f, 2);
        r.wrote("m.safetensors", wrote);
        assertSame(wrote, r.atHand("m.safetensors", f, indexed));
        assertSame(wrote, r.atHand("m.safetensors", f, null));
        assertSame(indexed, r.atHand("other.safetensors", f, indexed), "another path");
        r.staged("m.safetensors");
        assertSame(indexed, r.atHand("m.safetensors", f, indexed), "staged since: the index describes it");
    }

    @Test
    void aFileChangedSinceIsNotTakenForIt() throws IOException {
        Path f = Files.write(dir.resolve("m.safetensors"), new byte[] {1, 2, 3, 4});
        RestoredFiles r = new RestoredFiles();
        r.wrote("m.safetensors", entryOf(f, 2));
        FileTime t = Files.getLastModifiedTime(f);
        sleepPastTheClockTick();
        Files.write(f, new byte[] {9, 9, 9, 9}); // same size
        Files.setLastModifiedTime(f, t); // and time put back (cp -p, rsync -t): the change stamp tells
        assertNull(r.atHand("m.safetensors", f, null));
        r.wrote("m.safetensors", entryOf(f, 3));
        Files.delete(f);
        assertNull(r.atHand("m.safetensors", f, null), "gone");
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
        RestoredFiles r = new RestoredFiles();
        StagingIndex.Entry[] wrote = new StagingIndex.Entry[65];
        for (int i = 0; i <= 64; i++) {
            wrote[i] = entryOf(f, i);
            r.wrote("p" + i, wrote[i]);
        }
        assertNull(r.atHand("p0", f, null), "the least recently restored left");
        for (int i = 1; i <= 64; i++) {
            assertSame(wrote[i], r.atHand("p" + i, f, null));
        }
    }
}
