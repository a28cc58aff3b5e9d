package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packs larger than {@link PackWriter#EARLY_SYNC_BYTES} are flushed to the device in the
 * background while being written: finished, every object reads back; abandoned while a background
 * flush may still run, nothing is left behind and the store is as it was.
 */
class PackWriterEarlySyncTest {
    @TempDir
    Path dir;

    private static final int CHUNK = 1 << 20;

    @Test
    void aPackSeveralEarlySyncsLongReadsBackBitExact() throws IOException {
        Random r = new Random(42);
        int count = (int) (3 * PackWriter.EARLY_SYNC_BYTES / CHUNK) + 3;
        List<byte[]> chunks = new ArrayList<>();
        List<ObjectId> ids = new ArrayList<>();
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1); ObjectInserter ins = store.newInserter()) {
            for (int i = 0; i < count; i++) {
                byte[] b = new byte[CHUNK];
                r.nextBytes(b);
                chunks.add(b);
                ids.add(ins.insertChunk(b, 0, b.length));
            }
            ins.flush();
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            assertEquals(1, store.packCount());
            for (int i = 0; i < count; i++) {
                byte[] out = new byte[CHUNK];
                store.readChunk(ids.get(i), out, true);
                assertArrayEquals(chunks.get(i), out, "chunk " + i);
            }
        }
    }

    @Test
    void aPackAbandonedDuringABackgroundSyncLeavesNothingBehind() throws IOException {
        Random r = new Random(7);
        Path packs = dir.resolve("packs");
        for (int trial = 0; trial < 5; trial++) {
            try (ObjectStore store = new ObjectStore(packs, 1); ObjectInserter ins = store.newInserter()) {
                long written = 0;
                while (written < PackWriter.EARLY_SYNC_BYTES + CHUNK * (long) trial) {
                    byte[] b = new byte[CHUNK];
                    r.nextBytes(b);
                    ins.insertChunk(b, 0, b.length);
                    written += CHUNK;
                }
                // closed without flush: discarded
            }
            try (Stream<Path> left = Files.list(packs)) {
                List<Path> files = left.toList();
                assertTrue(files.isEmpty(), "trial " + trial + ": left behind " + files);
            }
        }
    }
}
