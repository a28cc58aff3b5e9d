package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.HeapInputStream;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TensorIngest} reading each chunk ahead for a sink that takes it
 * ({@link ChunkSink#takesUpcoming}): every chunk but the first is announced before the one
 * before it is submitted, with exactly the bytes it is then submitted with, and those bytes do
 * not change until its own submit returns; streamed into two buffers or lent in place. A sink
 * that does not take them is never told. A stream ending early fails as it did.
 */
class ReadAheadTest {
    @TempDir
    Path dir;

    /** Records what a sink is told: copies of the bytes announced and submitted, and checks the announced ones hold still. */
    static final class RecordingSink implements ChunkSink {
        final boolean takes;
        final List<byte[]> announced = new ArrayList<>();
        final List<byte[]> submitted = new ArrayList<>();
        private final List<byte[]> announcedArrays = new ArrayList<>();
        private final List<Integer> announcedOffsets = new ArrayList<>();
        /** Chunks submitted from another place than announced, or with other bytes than announced. */
        int changed;

        RecordingSink(boolean takes) {
            this.takes = takes;
        }

        @Override
        public boolean takesUpcoming() {
            return takes;
        }

        @Override
        public void upcoming(byte[] raw, int off, int len, int elementWidth) {
            announcedArrays.add(raw);
            announcedOffsets.add(off);
            announced.add(Arrays.copyOfRange(raw, off, off + len));
        }

        @Override
        public void submit(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId[] ids, int index,
                           ObjectId nextPrevious, int nextLength, ObjectId id) {
            byte[] now = Arrays.copyOfRange(raw, off, off + len);
            if (index > 0 && takes && (index > announced.size() || raw != announcedArrays.get(index - 1)
                    || off != announcedOffsets.get(index - 1) || !Arrays.equals(now, announced.get(index - 1)))) {
                changed++;
            }
            submitted.add(now);
            ids[index] = ObjectId.hashOf(now, 0, now.length);
        }

        @Override
        public void drain() {
        }

        @Override
        public void close() {
        }
    }

    /** Tensor bytes (elements of 4 bytes), chunk size, whether streamed (else lent from memory), whether the sink takes chunks ahead. */
    @ParameterizedTest(name = "{0} bytes, chunks of {1}, streamed {2}, sink takes them {3}")
    @CsvSource({"4096, 1024, true, true", "4100, 1024, true, true", "4100, 1024, false, true", "1000, 1024, true, true",
            "1024, 1024, true, true", "0, 1024, true, true", "40000, 4096, true, false", "40000, 4096, false, false",
            "40004, 4096, false, true"})
    void eachChunkIsAnnouncedWithTheBytesItIsSubmittedWith(int bytes, int chunkBytes, boolean streamed, boolean takes) throws IOException {
        byte[] data = new byte[bytes];
        new SplittableRandom(bytes + chunkBytes).nextBytes(data);
        TensorSpec spec = TensorSpec.of(DType.F32, bytes / 4);
        RecordingSink sink = new RecordingSink(takes);
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            TensorIngest ingest = new TensorIngest(ins, sink, chunkBytes);
            InputStream in = streamed ? new ByteArrayInputStream(data) : new HeapInputStream(data, 0, data.length);
            ingest.submit(spec, in, "t", null);
        }
        int chunks = (bytes + chunkBytes - 1) / chunkBytes;
        assertEquals(chunks, sink.submitted.size());
        byte[] joined = new byte[bytes];
        int at = 0;
        for (byte[] c : sink.submitted) {
            System.arraycopy(c, 0, joined, at, c.length);
            at += c.length;
        }
        assertArrayEquals(data, joined, "the chunks submitted make up the tensor");
        if (!takes || chunks < 2) {
            assertEquals(0, sink.announced.size(), "nothing is announced");
            return;
        }
        assertEquals(chunks - 1, sink.announced.size(), "every chunk after the first is announced");
        for (int i = 1; i < chunks; i++) {
            assertArrayEquals(sink.submitted.get(i), sink.announced.get(i - 1), "chunk " + i + " is submitted as announced");
        }
        assertEquals(0, sink.changed, "announced bytes changed before their submit");
    }

    @Test
    void aStreamEndingEarlyFailsAsBefore() throws IOException {
        byte[] data = new byte[3000];
        TensorSpec spec = TensorSpec.of(DType.F32, 1024); // 4096 bytes promised
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            TensorIngest ingest = new TensorIngest(ins, new RecordingSink(true), 1024);
            BadInputException e = assertThrows(BadInputException.class,
                    () -> ingest.submit(spec, new ByteArrayInputStream(data), "model.safetensors: tensor 'w'", null));
            assertTrue(e.getMessage().contains("data ends after 3000 of 4096 bytes"), e.getMessage());
        }
    }
}
