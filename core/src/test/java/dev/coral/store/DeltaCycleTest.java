package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged store whose delta bases form a cycle (A against B, B against A; or A against itself):
 * no writer makes one, but a reader must fail on it in bounded time, naming a chunk of the cycle, not loop.
 */
class DeltaCycleTest {
    @TempDir
    Path dir;

    /** A delta payload: the prefix (base id, depth, sequence) and a few body bytes. */
    private static byte[] delta(ObjectId base) {
        return ByteBuffer.allocate(StoredForm.DELTA_PREFIX_BYTES + 8).put(base.toBytes()).put((byte) 1).putInt(1)
                .putLong(0x0102030405060708L).array();
    }

    private void writeCycle(ObjectId a, ObjectId b) throws IOException {
        try (PackWriter w = new PackWriter(dir)) {
            byte[] pa = delta(b);
            byte[] pb = delta(a);
            w.append(ObjectKind.CHUNK, StoredForm.DELTA.code, a, 4096, pa, pa.length);
            if (!a.equals(b)) {
                w.append(ObjectKind.CHUNK, StoredForm.DELTA.code, b, 4096, pb, pb.length);
            }
            w.finish();
        }
    }

    @Test
    void aTwoChunkCycleFailsNamingTheChunk() throws IOException {
        ObjectId a = ObjectId.hashOf(new byte[] {1});
        ObjectId b = ObjectId.hashOf(new byte[] {2});
        writeCycle(a, b);
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            assertEquals(b, store.deltaBase(a));
            assertEquals(a, store.deltaBase(b));
            CorruptObjectException e = assertTimeoutPreemptively(() -> assertThrows(CorruptObjectException.class,
                    () -> store.readChunk(a, new byte[4096], true)));
            assertTrue(e.getMessage().contains("delta chain longer than " + ObjectStore.MAX_CHAIN_LINKS), e.getMessage());
            assertTrue(e.getMessage().contains(a.hex()) || e.getMessage().contains(b.hex()), "names a chunk of the cycle: " + e.getMessage());
        }
    }

    @Test
    void aChunkThatIsItsOwnBaseFailsToo() throws IOException {
        ObjectId a = ObjectId.hashOf(new byte[] {3});
        writeCycle(a, a);
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            assertEquals(a, store.deltaBase(a));
            CorruptObjectException e = assertTimeoutPreemptively(() -> assertThrows(CorruptObjectException.class,
                    () -> store.readChunk(a, new byte[4096], true)));
            assertTrue(e.getMessage().contains("delta chain longer than"), e.getMessage());
        }
    }

    private static <T> T assertTimeoutPreemptively(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), s);
    }
}
