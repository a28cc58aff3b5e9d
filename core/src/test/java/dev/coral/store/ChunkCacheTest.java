package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk cache's entries: what is written reads back bit-exact; anything else in their place
 * (damaged, truncated, another length, another format version) is a miss and is deleted; the
 * folder stays within its budget; a base leaves when its successor comes.
 */
class ChunkCacheTest {
    @TempDir
    Path dir;

    private static byte[] random(Random r, int len) {
        byte[] b = new byte[len];
        r.nextBytes(b);
        return b;
    }

    @RepeatedTest(5)
    void entriesOfAnyLengthReadBackBitExact(RepetitionInfo rep) {
        long seed = 70 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
        for (int i = 0; i < 12; i++) {
            int len = i == 0 ? 0 : i == 1 ? 1 : r.nextInt(1 << 17);
            byte[] raw = random(r, len);
            ObjectId id = ObjectId.hashOf(raw);
            cache.write(id, raw, null);
            byte[] back = new byte[len + 3];
            assertTrue(cache.read(id, back, len, true), "seed " + seed + " case " + i);
            assertArrayEquals(raw, Arrays.copyOf(back, len), "seed " + seed + " case " + i);
            assertFalse(cache.read(ObjectId.hashOf(random(r, 8)), back, len, true), "an id never written is a miss");
        }
        assertEquals(12, cache.hits());
        assertEquals(12, cache.written());
    }

    /** Each damage (or an entry of the format before): the read misses, leaves the entry deleted, and a rewrite serves again. */
    @Test
    void aDamagedEntryIsAMissAndIsDeleted() throws IOException {
        Random r = new Random(3);
        int len = 5000;
        byte[] raw = random(r, len);
        ObjectId id = ObjectId.hashOf(raw);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 20);
        UnaryOperator<byte[]> flipBody = b -> flip(b, ChunkCache.HEADER_BYTES + 1234);
        UnaryOperator<byte[]> flipMagic = b -> flip(b, 0);
        UnaryOperator<byte[]> otherVersion = b -> flip(b, 11);
        UnaryOperator<byte[]> lyingLength = b -> flip(b, 19);
        UnaryOperator<byte[]> flipCrc = b -> flip(b, b.length - 1);
        UnaryOperator<byte[]> truncated = b -> Arrays.copyOf(b, b.length - 1);
        UnaryOperator<byte[]> longer = b -> Arrays.copyOf(b, b.length + 1);
        UnaryOperator<byte[]> empty = b -> new byte[0];
        UnaryOperator<byte[]> flipPrevious = b -> flip(b, ChunkCache.HEADER_BYTES - 5);
        UnaryOperator<byte[]> versionOne = b -> { // the format before Previous: magic, u32 1, length, bytes, CRC32C
            java.nio.ByteBuffer v1 = java.nio.ByteBuffer.allocate(b.length - ObjectId.BYTES);
            v1.put(b, 0, 8).putInt(1).put(b, 12, 8).put(b, ChunkCache.HEADER_BYTES, b.length - ChunkCache.HEADER_BYTES - 4);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(v1.array(), 0, v1.position());
            return v1.putInt((int) crc.getValue()).array();
        };
        for (UnaryOperator<byte[]> damage : Arrays.asList(flipBody, flipMagic, otherVersion, lyingLength, flipCrc, truncated, longer,
                empty, flipPrevious, versionOne)) {
            cache.write(id, raw, null);
            Path file = cache.entry(id);
            Files.write(file, damage.apply(Files.readAllBytes(file)));
            assertFalse(cache.read(id, new byte[len], len, true));
            assertFalse(Files.exists(file), "a damaged entry is deleted");
        }
        cache.write(id, raw, null);
        assertFalse(cache.read(id, new byte[len + 1], len + 1, true), "an entry of another length than the chunk's is a miss");
        cache.write(id, raw, null);
        byte[] back = new byte[len];
        assertTrue(cache.read(id, back, len, true));
        assertArrayEquals(raw, back);
    }

    /**
     * An entry holding another chunk's bytes under this id, with a sound checksum (a bug, or a
     * file copied in): a checkout's read takes it (the file's checksum catches it afterwards); a
     * delta base's read, which checks the id, refuses it and deletes it.
     */
    @Test
    void anEntryWithAnotherChunksBytesServesNoDeltaBase() {
        Random r = new Random(9);
        byte[] a = random(r, 3000);
        byte[] b = random(r, 3000);
        ObjectId id = ObjectId.hashOf(a);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 20);
        cache.write(id, b, null);
        byte[] back = new byte[3000];
        assertTrue(cache.read(id, back, 3000, false), "the checksum alone cannot tell");
        assertFalse(cache.read(id, back, 3000, true));
        assertFalse(Files.exists(cache.entry(id)));
        cache.write(id, a, null);
        assertTrue(cache.read(id, back, 3000, true));
        assertArrayEquals(a, back);
    }

    private static byte[] flip(byte[] b, int at) {
        b[at] ^= 0x10;
        return b;
    }

    @Test
    void theOldestEntriesLeaveBeyondTheBudget() throws IOException {
        Random r = new Random(4);
        int len = 10_000;
        int entry = ChunkCache.HEADER_BYTES + len + ChunkCache.FOOTER_BYTES;
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 3L * entry);
        ObjectId[] ids = new ObjectId[5];
        for (int i = 0; i < ids.length; i++) {
            byte[] raw = random(r, len);
            ids[i] = ObjectId.hashOf(raw);
            cache.write(ids[i], raw, null);
            Files.setLastModifiedTime(cache.entry(ids[i]), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        Files.writeString(cache.dir().resolve(".tmp-left-by-a-dead-process"), "x");
        Files.setLastModifiedTime(cache.dir().resolve(".tmp-left-by-a-dead-process"), FileTime.fromMillis(1_000L));
        cache.trim();
        assertTrue(cache.bytes() <= 3L * entry, cache.bytes() + " bytes");
        assertFalse(Files.exists(cache.entry(ids[0])));
        assertFalse(Files.exists(cache.entry(ids[1])));
        assertTrue(Files.exists(cache.entry(ids[4])));
        assertFalse(Files.exists(cache.dir().resolve(".tmp-left-by-a-dead-process")), "stale temporary files go");
        ChunkCache small = new ChunkCache(dir.resolve("small"), entry - 1);
        byte[] raw = random(r, len);
        small.put(ObjectId.hashOf(raw), raw, 0, len, null);
        small.close();
        assertFalse(Files.exists(small.entry(ObjectId.hashOf(raw))), "a chunk larger than the budget is not cached");
    }

    /**
     * The folder may be a link to one elsewhere (a faster disk) holding other files: trimming and
     * gc's retain delete only what the cache wrote, whatever the budget (found by fuzzing: gc
     * deleted a notes.txt beside a linked cache).
     */
    @Test
    void filesTheCacheDidNotWriteAreNeverDeleted() throws IOException {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path notes = Files.writeString(elsewhere.resolve("notes.txt"), "mine");
        Path old = Files.writeString(elsewhere.resolve("old-notes.txt"), "mine too");
        Files.setLastModifiedTime(old, FileTime.fromMillis(1_000L));
        Files.createDirectories(dir.resolve("coral/cache"));
        Path link = Files.createSymbolicLink(dir.resolve("coral/cache/chunks"), elsewhere);
        int len = 100;
        ChunkCache cache = new ChunkCache(link, ChunkCache.HEADER_BYTES + len + ChunkCache.FOOTER_BYTES);
        Random r = new Random(12);
        byte[] a = random(r, len);
        byte[] b = random(r, len);
        cache.write(ObjectId.hashOf(a), a, null);
        Files.setLastModifiedTime(cache.entry(ObjectId.hashOf(a)), FileTime.fromMillis(2_000L));
        cache.write(ObjectId.hashOf(b), b, null);
        cache.trim();
        assertEquals(Files.size(cache.entry(ObjectId.hashOf(b))), cache.bytes(), "only entries count against the budget");
        assertFalse(Files.exists(cache.entry(ObjectId.hashOf(a))), "over the budget, the oldest entry goes");
        assertTrue(Files.exists(cache.entry(ObjectId.hashOf(b))), "and no other: the notes, older still, do not count");
        Files.createDirectories(dir.resolve("packs"));
        try (ObjectStore empty = new ObjectStore(dir.resolve("packs"), dir.resolve("locks"), 3)) {
            assertEquals(1, cache.retain(empty), "the entry of a chunk no longer stored goes");
        }
        assertTrue(Files.exists(notes) && Files.exists(old), "the rest of the folder stays");
    }

    @Test
    void queuedEntriesAreWrittenByCloseAndTwoVersionsOfAChunkStay() {
        Random r = new Random(5);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
        byte[][] v = new byte[4][];
        ObjectId[] ids = new ObjectId[v.length];
        v[0] = random(r, 70_000);
        for (int k = 0; k < v.length; k++) {
            if (k > 0) {
                v[k] = v[k - 1].clone();
                v[k][5 + k] ^= 1;
            }
            ids[k] = ObjectId.hashOf(v[k]);
        }
        byte[] buffer = new byte[70_010];
        System.arraycopy(v[0], 0, buffer, 10, v[0].length);
        cache.put(ids[0], buffer, 10, v[0].length, null);
        Arrays.fill(buffer, (byte) 0); // the caller may reuse its buffer once put returns
        cache.close();
        byte[] back = new byte[v[0].length];
        assertTrue(cache.read(ids[0], back, v[0].length, true));
        assertArrayEquals(v[0], back);
        for (int k = 1; k < v.length; k++) {
            cache.put(ids[k], v[k], 0, v[k].length, ids[k - 1]);
            cache.close();
            assertEquals(ids[k - 1], cache.previousOf(ids[k]), "version " + k + " names the one before");
            for (int j = 0; j <= k; j++) {
                boolean held = cache.read(ids[j], back, v[j].length, true);
                assertEquals(j >= k - 1, held, "after version " + k + ": version " + j + (held ? " held" : " gone"));
                if (held) {
                    assertArrayEquals(v[j], back);
                }
            }
        }
        assertNull(cache.previousOf(ids[0]), "the first version names none");
    }

    /**
     * A command-line commit reads each base from here and then writes its successor: the version
     * before the base is dropped as the base's header named it when it was served, without the
     * base's entry being opened again (here its file is gone by then, and the drop still happens).
     */
    @Test
    void theVersionBeforeAServedBaseIsDroppedAsItsHeaderNamedIt() throws IOException {
        Random r = new Random(6);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
        byte[][] v = {random(r, 70_000), null, null}; // file entries
        v[1] = v[0].clone();
        v[1][3] ^= 1;
        v[2] = v[1].clone();
        v[2][4] ^= 1;
        ObjectId[] ids = {ObjectId.hashOf(v[0]), ObjectId.hashOf(v[1]), ObjectId.hashOf(v[2])};
        cache.put(ids[0], v[0], 0, v[0].length, null);
        cache.put(ids[1], v[1], 0, v[1].length, ids[0]);
        cache.close();
        byte[] back = new byte[v[1].length];
        assertTrue(cache.read(ids[1], back, back.length, true), "the base is served");
        Files.delete(cache.entry(ids[1]));
        assertTrue(Files.exists(cache.entry(ids[0])));
        cache.put(ids[2], v[2], 0, v[2].length, ids[1]);
        cache.close();
        assertFalse(Files.exists(cache.entry(ids[0])), "the version two back left, named by the base's header as it was served");
        assertTrue(cache.read(ids[2], back, back.length, true));
        assertArrayEquals(v[2], back);
    }

    /** More than the queue holds, put from two threads: the callers wait their turn, and every entry is written. */
    @Test
    void aFullQueueMakesItsCallersWaitAndLosesNothing() throws InterruptedException {
        int len = 1 << 20;
        int count = (int) (ChunkCache.QUEUE_BYTES / len) + 16;
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1L << 34);
        byte[][] chunks = new byte[count][];
        Random r = new Random(6);
        for (int i = 0; i < count; i++) {
            chunks[i] = random(r, len);
        }
        Thread[] putters = new Thread[2];
        for (int t = 0; t < putters.length; t++) {
            int first = t;
            putters[t] = new Thread(() -> {
                for (int i = first; i < count; i += 2) {
                    cache.put(ObjectId.hashOf(chunks[i]), chunks[i], 0, len, null);
                }
            });
            putters[t].start();
        }
        for (Thread t : putters) {
            t.join();
        }
        cache.close();
        assertEquals(count, cache.written());
        byte[] back = new byte[len];
        for (byte[] c : chunks) {
            assertTrue(cache.read(ObjectId.hashOf(c), back, len, true));
            assertArrayEquals(c, back);
        }
    }

    /**
     * Queued copies reuse the arrays of entries written (two lengths, a longer array often the only
     * spare: it must not be taken): every entry reads back as it was put.
     */
    @Test
    void queuedCopiesReuseWrittenArraysAndEveryEntryReadsBack() throws InterruptedException {
        Random r = new Random(11);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
        int[] lengths = {70_008, 70_000, 70_000, 70_008, 70_008, 70_000, 70_008, 70_000, 70_000, 70_008}; // file entries: above the bundles' size
        byte[][] raws = new byte[lengths.length][];
        for (int i = 0; i < raws.length; i++) {
            raws[i] = random(r, lengths[i]);
            byte[] padded = new byte[raws[i].length + 6];
            System.arraycopy(raws[i], 0, padded, 3, raws[i].length);
            cache.put(ObjectId.hashOf(raws[i]), padded, 3, raws[i].length, null);
            Arrays.fill(padded, (byte) 0x55); // the caller's buffer is its own again
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cache.written() < i + 1 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(i + 1, cache.written(), "entry " + i + " written");
        }
        cache.close();
        for (int i = 0; i < raws.length; i++) {
            byte[] back = new byte[raws[i].length];
            assertTrue(cache.read(ObjectId.hashOf(raws[i]), back, back.length, true), "entry " + i);
            assertArrayEquals(raws[i], back, "entry " + i);
        }
    }

    private static List<Path> bundleFiles(Path chunks) throws IOException {
        if (!Files.isDirectory(chunks)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(chunks)) {
            return s.filter(p -> CacheBundles.isBundleName(p.getFileName().toString())).sorted().toList();
        }
    }

    /** Small entries of any length (0 too) go into one bundle at close; a fresh cache reads every one back bit-exact. */
    @RepeatedTest(4)
    void smallEntriesGoIntoOneBundleAndReadBackInAFreshCache(RepetitionInfo rep) throws IOException {
        long seed = 90 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 26);
        int n = 1 + r.nextInt(60);
        byte[][] raws = new byte[n][];
        ObjectId[] previous = new ObjectId[n]; // versions of other chunks, none cached
        for (int i = 0; i < n; i++) {
            raws[i] = random(r, i == 0 ? 0 : i == 1 ? 1 : r.nextInt(CacheBundles.SMALL_ENTRY_BYTES));
            previous[i] = i == 0 ? null : ObjectId.hashOf(random(r, 8));
            cache.put(ObjectId.hashOf(raws[i]), raws[i], 0, raws[i].length, previous[i]);
        }
        cache.close();
        List<Path> files;
        try (java.util.stream.Stream<Path> s = Files.list(dir.resolve("chunks"))) {
            files = s.toList();
        }
        assertEquals(1, files.size(), "seed " + seed + ": one file, a bundle: " + files);
        assertTrue(CacheBundles.isBundleName(files.get(0).getFileName().toString()), "seed " + seed);
        ChunkCache fresh = new ChunkCache(dir.resolve("chunks"), 1 << 26);
        for (int i = 0; i < n; i++) {
            byte[] back = new byte[raws[i].length];
            assertTrue(fresh.read(ObjectId.hashOf(raws[i]), back, back.length, true), "seed " + seed + " entry " + i);
            assertArrayEquals(raws[i], back, "seed " + seed + " entry " + i);
            assertEquals(previous[i], fresh.previousOf(ObjectId.hashOf(raws[i])), "seed " + seed);
        }
        assertFalse(fresh.read(ObjectId.hashOf(raws[n - 1]), new byte[raws[n - 1].length + 1], raws[n - 1].length + 1, true),
                "another length is a miss");
        assertEquals(n, fresh.hits());
        fresh.close();
    }

    /**
     * Each version through a cache of its own, reading the last one's entries as bases first (as
     * command-line commits do): the bundle of the version two back leaves, two bundles stay.
     */
    @Test
    void theBundleOfTheVersionTwoBackLeaves() throws IOException {
        Random r = new Random(14);
        int chunks = 5;
        byte[][] current = new byte[chunks][];
        ObjectId[] previous = new ObjectId[chunks];
        for (int v = 0; v < 6; v++) {
            ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 26);
            for (int k = 0; k < chunks; k++) {
                if (previous[k] != null) {
                    byte[] base = new byte[current[k].length];
                    assertTrue(cache.read(previous[k], base, base.length, true), "version " + v + " chunk " + k + ": its base is cached");
                }
                current[k] = current[k] == null ? random(r, 3000 + k) : current[k].clone();
                current[k][r.nextInt(current[k].length)] ^= 1;
                ObjectId id = ObjectId.hashOf(current[k]);
                cache.put(id, current[k], 0, current[k].length, previous[k]);
                previous[k] = id;
            }
            cache.close();
            assertEquals(Math.min(v + 1, 2), bundleFiles(dir.resolve("chunks")).size(), "after version " + v);
        }
    }

    /**
     * A chunk whose version is stored as a keyframe (not cached: nothing supersedes its last
     * cached version) does not pin its bundle: once half of a bundle's bytes are superseded it
     * leaves (found by a soak: with 3% of tensors replaced by random bits each step, every bundle stayed).
     */
    @Test
    void aChunkRestartedAsAKeyframePinsNoBundle() throws IOException {
        Random r = new Random(18);
        int chunks = 2;
        byte[][] current = new byte[chunks][];
        ObjectId[] previous = new ObjectId[chunks];
        for (int v = 0; v < 10; v++) {
            ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 26);
            for (int k = 0; k < chunks; k++) {
                boolean keyframe = v == 0 || k == 1 && v == 2; // chunk 1 replaced by unrelated bits at version 2
                current[k] = keyframe ? random(r, 4096) : current[k].clone();
                current[k][r.nextInt(current[k].length)] ^= 1;
                ObjectId id = ObjectId.hashOf(current[k]);
                if (!keyframe) {
                    cache.read(previous[k], new byte[current[k].length], current[k].length, true);
                    cache.put(id, current[k], 0, current[k].length, previous[k]);
                }
                previous[k] = id;
            }
            cache.close();
            assertTrue(bundleFiles(dir.resolve("chunks")).size() <= 2, "after version " + v + ": " + bundleFiles(dir.resolve("chunks")));
        }
    }

    /** A bundle damaged anywhere (index, body, length) is a miss and is deleted; a rewrite serves again. */
    @Test
    void aDamagedBundleIsAMissAndIsDeleted() throws IOException {
        Random r = new Random(15);
        byte[] a = random(r, 4000);
        byte[] b = random(r, 5000);
        ObjectId ia = ObjectId.hashOf(a);
        ObjectId ib = ObjectId.hashOf(b);
        int indexBytes = CacheBundles.HEAD_BYTES + 2 * CacheBundles.INDEX_ENTRY_BYTES + 4;
        List<UnaryOperator<byte[]>> damages = List.of(x -> flip(x, 3), x -> flip(x, 11), x -> flip(x, 15), x -> flip(x, 20),
                x -> flip(x, indexBytes - 1), x -> flip(x, indexBytes + 10), x -> flip(x, x.length - 1),
                x -> Arrays.copyOf(x, x.length - 1), x -> Arrays.copyOf(x, indexBytes - 3), x -> new byte[0]);
        for (int d = 0; d < damages.size(); d++) {
            ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
            cache.put(ia, a, 0, a.length, null);
            cache.put(ib, b, 0, b.length, ia);
            cache.close();
            Path bundle = bundleFiles(dir.resolve("chunks")).get(0);
            Files.write(bundle, damages.get(d).apply(Files.readAllBytes(bundle)));
            ChunkCache fresh = new ChunkCache(dir.resolve("chunks"), 1 << 24);
            boolean ra = fresh.read(ia, new byte[a.length], a.length, true);
            boolean rb = fresh.read(ib, new byte[b.length], b.length, true);
            assertFalse(ra && rb, "damage " + d + ": both entries served");
            assertFalse(Files.exists(bundle), "damage " + d + ": the damaged bundle is deleted");
            fresh.close();
        }
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
        cache.put(ia, a, 0, a.length, null);
        cache.close();
        byte[] back = new byte[a.length];
        assertTrue(new ChunkCache(dir.resolve("chunks"), 1 << 24).read(ia, back, a.length, true));
        assertArrayEquals(a, back);
    }

    /** Another chunk's bytes under an id, with sound checksums: a delta base's read refuses them and the bundle goes. */
    @Test
    void aBundledEntryWithAnotherChunksBytesServesNoDeltaBase() throws IOException {
        Random r = new Random(16);
        byte[] a = random(r, 3000);
        byte[] b = random(r, 3000);
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 20);
        cache.put(ObjectId.hashOf(a), b, 0, b.length, null);
        cache.close();
        ChunkCache fresh = new ChunkCache(dir.resolve("chunks"), 1 << 20);
        byte[] back = new byte[3000];
        assertTrue(fresh.read(ObjectId.hashOf(a), back, 3000, false), "the checksums alone cannot tell");
        assertFalse(fresh.read(ObjectId.hashOf(a), back, 3000, true));
        assertEquals(List.of(), bundleFiles(dir.resolve("chunks")));
    }

    /** Bundles count against the budget (the oldest leaves), and gc's retain deletes a bundle none of whose chunks is stored. */
    @Test
    void bundlesCountAgainstTheBudgetAndGcDropsThoseOfGoneChunks() throws IOException {
        Random r = new Random(17);
        for (int i = 0; i < 3; i++) {
            ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 1 << 24);
            byte[] raw = random(r, 20_000);
            cache.put(ObjectId.hashOf(raw), raw, 0, raw.length, null);
            cache.close();
        }
        List<Path> all = bundleFiles(dir.resolve("chunks"));
        assertEquals(3, all.size());
        for (int i = 0; i < all.size(); i++) {
            Files.setLastModifiedTime(all.get(i), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        long one = Files.size(all.get(0));
        ChunkCache small = new ChunkCache(dir.resolve("chunks"), 2 * one + 10);
        small.trim();
        assertEquals(List.of(all.get(1), all.get(2)), bundleFiles(dir.resolve("chunks")), "the oldest bundle left");
        assertEquals(2 * one, small.bytes());
        Files.createDirectories(dir.resolve("packs"));
        try (ObjectStore empty = new ObjectStore(dir.resolve("packs"), dir.resolve("locks"), 3)) {
            assertEquals(2, small.retain(empty), "no chunk of theirs is stored: both go");
        }
        assertEquals(List.of(), bundleFiles(dir.resolve("chunks")));
    }

    @Test
    void aBudgetOfZeroIsNoCache() {
        ChunkCache cache = new ChunkCache(dir.resolve("chunks"), 0);
        byte[] raw = {1, 2, 3};
        cache.put(ObjectId.hashOf(raw), raw, 0, 3, null);
        cache.close();
        assertFalse(Files.exists(dir.resolve("chunks")));
        assertFalse(cache.read(ObjectId.hashOf(raw), new byte[3], 3, true));
    }
}
