package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-ahead gives its chunk arrays back to the store when closed, for the next tensor's
 * reader, and never one a decode may still write: readers abandoned after any number of chunks,
 * with decodes in flight, leave every later reader's bytes exact.
 */
class ChunkReadAheadTest {
    @TempDir
    Path dir;

    private static final int CHUNK = 64 << 10;

    private record Chunks(ObjectId[] ids, int[] lengths, byte[][] bytes) {
        Chunks slice(int from, int to) {
            return new Chunks(Arrays.copyOfRange(ids, from, to), Arrays.copyOfRange(lengths, from, to), Arrays.copyOfRange(bytes, from, to));
        }
    }

    private static Chunks store(ObjectStore store, Random r, int count) throws IOException {
        Chunks c = new Chunks(new ObjectId[count], new int[count], new byte[count][]);
        try (ObjectInserter ins = store.newInserter()) {
            for (int i = 0; i < count; i++) {
                int len = i % 5 == 4 ? 4 * (1 + r.nextInt(CHUNK / 4)) : CHUNK; // mostly one length, as a tensor's chunks are
                byte[] b = new byte[len];
                for (int k = 0; k < len; k += 1 + r.nextInt(8)) {
                    b[k] = (byte) r.nextInt(); // compressible, so chunks take the codec's path
                }
                c.bytes()[i] = b;
                c.lengths()[i] = len;
                c.ids()[i] = ins.insertChunk(b, 0, len, 4, null);
            }
            ins.flush();
        }
        return c;
    }

    @Test
    void arraysGoBackToTheStoreForTheNextReader() throws IOException {
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            Chunks c = store(store, new Random(1), 8);
            assertNull(store.takeReadAheadArray(CHUNK), "no spare before any read");
            try (ChunkReadAhead ahead = new ChunkReadAhead(store, c.ids(), c.lengths(), false)) {
                for (int i = 0; i < c.ids().length; i++) {
                    byte[] got = ahead.next();
                    assertArrayEquals(c.bytes()[i], Arrays.copyOf(got, c.lengths()[i]), "chunk " + i);
                }
                assertNull(ahead.next());
            }
            assertNotNull(store.takeReadAheadArray(CHUNK), "the finished reader's arrays are kept");
        }
    }

    @Test
    void readersAbandonedMidwayNeverLendALaterReaderAnArrayADecodeStillWrites() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            Chunks all = store(store, r, 24);
            for (int trial = 0; trial < 60; trial++) {
                int from = r.nextInt(all.ids().length - 1);
                Chunks c = all.slice(from, from + 1 + r.nextInt(all.ids().length - from - 1));
                int stopAfter = r.nextInt(c.ids().length + 1);
                try (ChunkReadAhead ahead = new ChunkReadAhead(store, c.ids(), c.lengths(), trial % 2 == 0)) {
                    for (int i = 0; i < stopAfter; i++) {
                        byte[] got = ahead.next();
                        assertArrayEquals(c.bytes()[i], Arrays.copyOf(got, c.lengths()[i]),
                                "seed " + seed + ", trial " + trial + ", chunk " + i + " of a reader stopping after " + stopAfter);
                    }
                } // closed with decodes in flight when it stopped early
            }
            try (ChunkReadAhead ahead = new ChunkReadAhead(store, all.ids(), all.lengths(), false)) {
                for (int i = 0; i < all.ids().length; i++) {
                    byte[] got = ahead.next();
                    assertEquals(true, got.length >= all.lengths()[i]);
                    assertArrayEquals(all.bytes()[i], Arrays.copyOf(got, all.lengths()[i]), "seed " + seed + ", last reader, chunk " + i);
                }
            }
        }
    }

    /**
     * Many small chunks, decoded in groups by one task each: every one reads back in order, handed
     * over or written at its place in a file (with its CRC32C); a chunk missing from the store
     * fails the read no later than at that chunk.
     */
    @RepeatedTest(3)
    void smallChunksDecodedInGroupsReadBackInOrder(RepetitionInfo rep) throws IOException {
        long seed = 30 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            int count = 200 + r.nextInt(300);
            Chunks c = new Chunks(new ObjectId[count], new int[count], new byte[count][]);
            try (ObjectInserter ins = store.newInserter()) {
                for (int i = 0; i < count; i++) {
                    int len = i % 50 == 7 ? 4 * (ChunkReadAhead.GROUP_BYTES / 4 + r.nextInt(1000)) : 4 * r.nextInt(2048);
                    byte[] b = new byte[len];
                    r.nextBytes(b);
                    c.bytes()[i] = b;
                    c.lengths()[i] = len;
                    c.ids()[i] = ins.insertChunk(b, 0, len, 4, null);
                }
                ins.flush();
            }
            try (ChunkReadAhead ahead = new ChunkReadAhead(store, c.ids(), c.lengths(), rep.getCurrentRepetition() % 2 == 0)) {
                for (int i = 0; i < count; i++) {
                    assertArrayEquals(c.bytes()[i], Arrays.copyOf(ahead.next(), c.lengths()[i]), "seed " + seed + " chunk " + i);
                }
                assertNull(ahead.next());
            }
            Path file = dir.resolve("out-" + seed);
            long[] positions = new long[count]; // chunks in order, some with a gap before them (HDF5's metadata between tensors)
            long at = 10;
            for (int i = 0; i < count; i++) {
                at += r.nextInt(4) == 0 ? r.nextInt(100) : 0;
                positions[i] = at;
                at += c.lengths()[i];
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ);
                    ChunkReadAhead ahead = new ChunkReadAhead(store, c.ids(), c.lengths(), false, ch, positions)) {
                for (int i = 0; i < count; i++) {
                    assertEquals(dev.coral.io.Crc32c.of(c.bytes()[i], 0, c.lengths()[i]), ahead.nextWritten(), "seed " + seed + " chunk " + i);
                }
            }
            byte[] written = java.nio.file.Files.readAllBytes(file);
            for (int i = 0; i < count; i++) {
                int p = (int) positions[i];
                assertArrayEquals(c.bytes()[i], Arrays.copyOfRange(written, p, p + c.lengths()[i]), "seed " + seed + " chunk " + i);
            }
            int missing = r.nextInt(count);
            ObjectId[] ids = c.ids().clone();
            ids[missing] = ObjectId.hashOf(new byte[] {1, 2, 3, (byte) seed});
            try (ChunkReadAhead ahead = new ChunkReadAhead(store, ids, c.lengths(), false)) {
                int read = 0;
                try {
                    for (; read < count; read++) {
                        ahead.next();
                    }
                    org.junit.jupiter.api.Assertions.fail("seed " + seed + ": chunk " + missing + " is not stored");
                } catch (IOException expected) {
                    assertTrue(read <= missing, "seed " + seed + ": failed at " + read + ", the missing chunk is " + missing);
                }
            }
        }
    }
}
