package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offsets are longs everywhere: a tensor over 2 GiB streams through with a small heap. */
class LargeTensorTest {
    @TempDir
    Path dir;

    /** A generated stream of {@code length} bytes: a repeating 1 MiB pattern, so chunks deduplicate. */
    static InputStream generated(long length) {
        return new InputStream() {
            long pos;

            @Override
            public int read() {
                return pos < length ? (int) (pos++ % 251) : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - pos);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) ((pos + i) % 251);
                }
                pos += n;
                return n;
            }
        };
    }

    @Test
    void aTensorOverTwoGiBIsChunkedAndReadBackWithLongOffsets() throws IOException {
        long elements = (1L << 31) / 4 + 1_000_003; // just over 2 GiB of F32
        TensorSpec spec = TensorSpec.of(DType.F32, elements);
        // 251 * 4 * 1024 bytes: a multiple of the pattern period, so every full chunk is the same.
        int chunk = 251 * 4 * 1024 * 16;
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            TensorObject t = new TensorIngest(ins, chunk).ingestObject(spec, generated(spec.byteSize()), "big", null);
            ins.flush();
            assertEquals(spec.byteSize(), t.chunks().stream().mapToLong(ChunkRef::rawLength).sum());
            assertEquals(2, t.chunks().stream().map(ChunkRef::id).distinct().count(), "full chunks dedupe; the tail differs");
            long read = 0;
            byte[] buf = new byte[1 << 16];
            try (InputStream in = new ChunkedTensorInputStream(store, t, false)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    read += n;
                }
            }
            assertEquals(spec.byteSize(), read);
        }
    }

    @Test
    void aStreamShorterThanItsSpecIsBadInput() throws IOException {
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> new TensorIngest(ins, 4096).ingest(TensorSpec.of(DType.F64, 100), generated(799), "m.npy: tensor 'x'"));
            assertEquals("m.npy: tensor 'x': data ends after 799 of 800 bytes", e.getMessage());
        }
    }

    @Test
    void subByteTensorsAreCutWhereElementsAndBytesMeet() throws IOException {
        // F6: 4 elements per 3 bytes; a 1000-byte chunk size is cut down to 999.
        TensorSpec spec = TensorSpec.of(DType.F6_E2M3, 4000);
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            TensorObject t = new TensorIngest(ins, 1000).ingestObject(spec, generated(spec.byteSize()), "f6", null);
            assertEquals(999, t.chunks().get(0).rawLength());
            ObjectId unused = ObjectGraph.write(ins, t);
            assertEquals(64, unused.hex().length());
        }
    }
}
