package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.BinaryWriter;
import dev.coral.io.ChecksummedFile;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staging index on disk: entries round-trip (version 3, with change stamps; versions 1 and 2
 * are still read); unsynced entries keep their stat in the boot that wrote
 * them and come back {@linkplain StagingIndex#UNVERIFIED unverified} in any other (or when the boot
 * is unknown), every other entry untouched; racy entries (stamped less than two seconds before the
 * index was written) come back unverified too.
 */
class StagingIndexTest {
    @TempDir
    Path dir;

    private static StagingIndex.Entry randomEntry(Random r, boolean unsynced) {
        byte[] id = new byte[ObjectId.BYTES];
        byte[] sha = new byte[32];
        r.nextBytes(id);
        r.nextBytes(sha);
        long size = r.nextInt(4) == 0 ? -1 : r.nextLong() & Long.MAX_VALUE;
        long change = r.nextInt(5) == 0 ? FileStamp.UNKNOWN : FileStamp.change(r.nextLong(), r.nextLong());
        return new StagingIndex.Entry(ObjectId.fromBytes(id), size, longAgo(r), change, sha, unsynced);
    }

    /** A time at least ten seconds before now (before 1970 too): far from racy. */
    private static long longAgo(Random r) {
        return System.currentTimeMillis() - 10_000 - (r.nextLong() & 0xFFFF_FFFF_FFFFL);
    }

    private static TreeMap<String, StagingIndex.Entry> randomEntries(Random r, boolean anyUnsynced) {
        TreeMap<String, StagingIndex.Entry> m = new TreeMap<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            m.put("dir" + r.nextInt(3) + "/m" + i + ".safetensors", randomEntry(r, anyUnsynced && r.nextBoolean()));
        }
        return m;
    }

    private static void assertSame(String why, StagingIndex.Entry want, StagingIndex.Entry got) {
        assertEquals(want.fileEntry(), got.fileEntry(), why);
        assertEquals(want.size(), got.size(), why);
        assertEquals(want.mtimeMillis(), got.mtimeMillis(), why);
        assertEquals(want.changeStamp(), got.changeStamp(), why);
        assertArrayEquals(want.sha256(), got.sha256(), why);
        assertEquals(want.unsynced(), got.unsynced(), why);
    }

    @RepeatedTest(20)
    void unsyncedEntriesAreTrustedInTheirBootOnly() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        TreeMap<String, StagingIndex.Entry> m = randomEntries(r, true);
        Path file = dir.resolve("index");
        new StagingIndex(m).write(file, "boot-a");
        assertEquals(3, ChecksummedFile.read(file, StagingIndex.MAGIC, 1, 3).version(), "seed " + seed);

        StagingIndex same = StagingIndex.read(file, Optional.of("boot-a"));
        assertEquals(m.keySet(), same.entries().keySet(), "seed " + seed);
        m.forEach((p, e) -> assertSame("seed " + seed + ", same boot, " + p, e, same.entries().get(p)));

        for (Optional<String> other : java.util.List.of(Optional.of("boot-b"), Optional.<String>empty())) {
            StagingIndex after = StagingIndex.read(file, other);
            for (Map.Entry<String, StagingIndex.Entry> x : m.entrySet()) {
                StagingIndex.Entry e = x.getValue();
                StagingIndex.Entry want = e.unsynced() ? e.unverified(false) : e;
                assertSame("seed " + seed + ", boot " + other + ", " + x.getKey(), want, after.entries().get(x.getKey()));
            }
            // written again in the new boot: the distrust stays (as a time no file has), the flag goes
            after.write(file, other.orElse(""));
            StagingIndex again = StagingIndex.read(file, other);
            after.entries().forEach((p, e) -> assertSame("seed " + seed + ", rewritten, " + p, e, again.entries().get(p)));
            new StagingIndex(m).write(file, "boot-a");
        }
    }

    /**
     * Entries stamped less than {@link WorkTree#RACY_MILLIS} before the index file's time (or
     * after it) come back unverified, keeping size, SHA-256 and unsynced mark; older ones, and
     * entries staged from memory (no working file), as they were. Written again, a racy entry
     * stays unverified whatever the new index's time.
     */
    @RepeatedTest(20)
    void racyEntriesAreReadBackUnverified() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        long written = System.currentTimeMillis() - r.nextInt(1_000_000);
        TreeMap<String, StagingIndex.Entry> m = new TreeMap<>();
        TreeMap<String, Boolean> racy = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
            StagingIndex.Entry e = randomEntry(r, r.nextBoolean());
            long mtime = switch (r.nextInt(5)) {
                case 0 -> written - WorkTree.RACY_MILLIS; // the oldest time that is not racy
                case 1 -> written - WorkTree.RACY_MILLIS + 1; // the oldest that is
                case 2 -> written - r.nextInt((int) WorkTree.RACY_MILLIS); // within the window
                case 3 -> written + r.nextInt(1 << 30); // a time stamp in the index's future
                default -> e.mtimeMillis(); // long ago
            };
            String p = "m" + i + ".safetensors";
            m.put(p, new StagingIndex.Entry(e.fileEntry(), e.size(), mtime, e.changeStamp(), e.sha256(), e.unsynced()));
            racy.put(p, e.size() >= 0 && mtime > written - WorkTree.RACY_MILLIS);
        }
        Path file = dir.resolve("index");
        new StagingIndex(m).write(file, "boot-a");
        java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written));
        StagingIndex read = StagingIndex.read(file, Optional.of("boot-a"));
        m.forEach((p, e) -> {
            StagingIndex.Entry want = racy.get(p) ? e.unverified(e.unsynced()) : e;
            assertSame("seed " + seed + ", " + p + (racy.get(p) ? " (racy)" : ""), want, read.entries().get(p));
        });
        read.write(file, "boot-a");
        java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written + 60_000));
        StagingIndex later = StagingIndex.read(file, Optional.of("boot-a"));
        read.entries().forEach((p, e) -> assertSame("seed " + seed + ", rewritten later, " + p, e, later.entries().get(p)));
    }

    @Test
    void anEmptyIndexAndAMissingOneReadAsEmpty() throws IOException {
        Path file = dir.resolve("index");
        assertTrue(StagingIndex.read(file).entries().isEmpty());
        new StagingIndex(new TreeMap<>()).write(file);
        assertTrue(StagingIndex.read(file).entries().isEmpty());
    }

    @Test
    void unknownFlagsAreAnErrorNamingTheFile() throws IOException {
        Random r = new Random(3);
        StagingIndex.Entry e = randomEntry(r, true);
        BinaryWriter w = new BinaryWriter().string("boot-a").varInt(1);
        w.string("m.safetensors").bytes(e.fileEntry().toBytes()).i64(e.size()).i64(e.mtimeMillis()).i64(e.changeStamp()).bytes(e.sha256()).u8(2);
        Path file = dir.resolve("index");
        ChecksummedFile.write(file, StagingIndex.MAGIC, 3, w.toByteArray());
        CorruptObjectException x = assertThrows(CorruptObjectException.class, () -> StagingIndex.read(file, Optional.of("boot-a")));
        assertTrue(x.getMessage().contains(file.toString()) && x.getMessage().contains("m.safetensors"), x.getMessage());
    }

    /**
     * Indexes of versions 1 and 2, which earlier builds wrote, are read with their entries' change
     * stamps unknown (compared by size and time alone until they are staged or checked out again).
     */
    @Test
    void versionsOneAndTwoAreReadWithUnknownChangeStamps() throws IOException {
        Random r = new Random(11);
        StagingIndex.Entry e = randomEntry(r, false);
        StagingIndex.Entry u = randomEntry(r, true);
        Path file = dir.resolve("index");
        BinaryWriter v1 = new BinaryWriter().varInt(1);
        v1.string("a.npy").bytes(e.fileEntry().toBytes()).i64(e.size()).i64(e.mtimeMillis()).bytes(e.sha256());
        ChecksummedFile.write(file, StagingIndex.MAGIC, 1, v1.toByteArray());
        StagingIndex.Entry got = StagingIndex.read(file, Optional.of("boot-a")).entries().get("a.npy");
        assertSame("version 1", new StagingIndex.Entry(e.fileEntry(), e.size(), e.mtimeMillis(), FileStamp.UNKNOWN, e.sha256(), false), got);

        BinaryWriter v2 = new BinaryWriter().string("boot-a").varInt(2);
        v2.string("a.npy").bytes(e.fileEntry().toBytes()).i64(e.size()).i64(e.mtimeMillis()).bytes(e.sha256()).u8(0);
        v2.string("b.npy").bytes(u.fileEntry().toBytes()).i64(u.size()).i64(u.mtimeMillis()).bytes(u.sha256()).u8(1);
        ChecksummedFile.write(file, StagingIndex.MAGIC, 2, v2.toByteArray());
        StagingIndex read = StagingIndex.read(file, Optional.of("boot-a"));
        assertSame("version 2", new StagingIndex.Entry(e.fileEntry(), e.size(), e.mtimeMillis(), FileStamp.UNKNOWN, e.sha256(), false),
                read.entries().get("a.npy"));
        assertSame("version 2, unsynced in its boot", new StagingIndex.Entry(u.fileEntry(), u.size(), u.mtimeMillis(), FileStamp.UNKNOWN,
                u.sha256(), true), read.entries().get("b.npy"));
    }

    @Test
    void aNewerVersionIsRefusedClearly() throws IOException {
        Path file = dir.resolve("index");
        ChecksummedFile.write(file, StagingIndex.MAGIC, 4, new byte[] {0});
        IOException x = assertThrows(IOException.class, () -> StagingIndex.read(file));
        assertTrue(x.getMessage().contains(file.toString()), x.getMessage());
        assertFalse(x.getMessage().isBlank());
    }
}
