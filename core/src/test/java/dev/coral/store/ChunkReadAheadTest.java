package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
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
}
