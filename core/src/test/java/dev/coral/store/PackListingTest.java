package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new inserter lists the packs folder only when someone else changed it since this store last
 * did: its own flushes do not count, another store's (another process's) pack does, and is then
 * deduplicated against.
 */
class PackListingTest {
    @TempDir
    Path dir;

    private static byte[] chunk(long seed) {
        byte[] b = new byte[4096];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static ObjectInserter insertAndFlush(ObjectStore store, byte[] b) throws IOException {
        ObjectInserter ins = store.newInserter();
        ins.insertChunk(b, 0, b.length);
        ins.flush();
        return ins;
    }

    @Test
    void ownFlushesNeedNoListingAndOthersPacksAreSeen() throws IOException {
        Path packs = dir.resolve("packs");
        try (ObjectStore store = new ObjectStore(packs, 1); ObjectStore other = new ObjectStore(packs, 1)) {
            for (int i = 0; i < 5; i++) {
                int before = store.packListings.get();
                insertAndFlush(store, chunk(i)).close();
                assertEquals(before, store.packListings.get(), "commit " + i + ": this store's own packs need no listing");
            }
            byte[] theirs = chunk(100);
            insertAndFlush(other, theirs).close(); // another process adds a pack
            int before = store.packListings.get();
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(theirs, 0, theirs.length);
                assertTrue(store.packListings.get() > before, "a folder another store changed is listed again");
                assertEquals(1, ins.chunksDeduplicated(), "and the other store's chunk is deduplicated");
            }
            byte[] missing = chunk(5);
            insertAndFlush(other, missing).close();
            assertTrue(store.contains(ObjectId.hashOf(missing)), "a look-up that misses lists the folder again");
        }
    }
}
