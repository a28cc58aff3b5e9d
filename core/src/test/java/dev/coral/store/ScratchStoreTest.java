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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scratch store ({@link ObjectStore#scratch}, repack's work folder) writes its packs, indexes
 * and multi-pack index without fsync, in the same layout: another store opened on the folder
 * reads every object back, and a pack merged out of it is whole.
 */
class ScratchStoreTest {
    @TempDir
    Path dir;

    @Test
    void aScratchStoresPacksReadBackEverywhere() throws IOException {
        Path work = dir.resolve("work");
        Random r = new Random(3);
        List<byte[]> chunks = new ArrayList<>();
        List<ObjectId> ids = new ArrayList<>();
        try (ObjectStore scratch = ObjectStore.scratch(work, dir.resolve("locks"), 1)) {
            scratch.setMultiPackIndexThreshold(4);
            for (int pack = 0; pack < 12; pack++) {
                try (ObjectInserter ins = scratch.newInserter()) {
                    for (int k = 0; k < 3; k++) {
                        byte[] b = new byte[1000 + r.nextInt(5000)];
                        r.nextBytes(b);
                        chunks.add(b);
                        ids.add(ins.insertChunk(b, 0, b.length));
                    }
                    ins.flush();
                }
            }
            assertTrue(Files.exists(work.resolve(MultiPackIndex.FILE_NAME)), "a multi-pack index was written");
            assertEquals(12, scratch.packCount());
        }
        try (ObjectStore store = new ObjectStore(work, 1)) {
            assertRead(store, chunks, ids, "the scratch folder, opened again");
        }
        Path packs = dir.resolve("packs");
        ObjectId merged = PackMerge.merge(work, PackMerge.packsIn(work), packs);
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            assertEquals(List.of(merged), PackMerge.packsIn(packs));
            assertRead(store, chunks, ids, "the pack merged out of it");
        }
    }

    private static void assertRead(ObjectStore store, List<byte[]> chunks, List<ObjectId> ids, String what) throws IOException {
        for (int i = 0; i < chunks.size(); i++) {
            byte[] out = new byte[chunks.get(i).length];
            store.readChunk(ids.get(i), out, true);
            assertArrayEquals(chunks.get(i), out, what + ": chunk " + i);
        }
    }
}
