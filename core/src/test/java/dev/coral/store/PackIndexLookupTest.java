package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pack index finds every object it lists and none it does not, whether it keeps its fan-out
 * table (at least {@link PackIndex#FANOUT_MIN_ENTRIES} entries) or searches a small pack's
 * entries whole.
 */
class PackIndexLookupTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} objects")
    @ValueSource(ints = {1, 2, 5, PackIndex.FANOUT_MIN_ENTRIES - 1, PackIndex.FANOUT_MIN_ENTRIES, PackIndex.FANOUT_MIN_ENTRIES + 1, 700})
    void findsExactlyWhatItLists(int n) throws IOException {
        long seed = 4242L + n;
        Random r = new Random(seed);
        List<byte[]> objects = PackFixtures.randomObjects(r, n, 64);
        PackIndex index = PackFixtures.writePack(dir.resolve("packs"), objects);
        assertEquals(n, index.size(), "seed " + seed);
        for (byte[] o : objects) {
            ObjectId id = ObjectId.hashOf(o);
            PackIndex.Entry e = index.find(id);
            assertNotNull(e, "seed " + seed + ": " + id.hex() + " listed but not found");
            assertEquals(id, e.id());
            assertEquals(o.length, e.rawLength());
        }
        for (int i = 0; i < 200; i++) {
            byte[] absent = new byte[65];
            r.nextBytes(absent); // longer than any listed object: another id
            assertNull(index.find(ObjectId.hashOf(absent)), "seed " + seed + ": found an object it does not list");
        }
        for (int i = 1; i < n; i++) {
            assertEquals(-1, Integer.signum(index.entryAt(i - 1).id().compareTo(index.entryAt(i).id())), "entries in id order");
        }
        for (int i = 0; i < n; i++) {
            PackIndex.Entry listed = index.entryAt(i);
            assertEquals(listed, index.find(listed.id()), "seed " + seed + ": a look-up gives the entry as listed, every field");
        }
    }

    @ParameterizedTest(name = "offset {0}")
    @ValueSource(ints = {0, 1, 7, 33})
    void anIdIsFoundAtItsOffsetOnly(int offset) {
        ObjectId id = ObjectId.hashOf(new byte[] {1, 2, 3});
        byte[] b = new byte[offset + ObjectId.BYTES + 5];
        id.copyTo(b, offset);
        assertTrue(id.isAt(b, offset));
        assertFalse(id.isAt(b, offset + 1));
        b[offset + ObjectId.BYTES - 1] ^= 1;
        assertFalse(id.isAt(b, offset), "its last byte differs");
        assertFalse(ObjectId.hashOf(new byte[0]).isAt(b, offset));
    }
}
