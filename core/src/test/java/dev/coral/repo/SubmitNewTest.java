package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.similarity.SimilarityCheck;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TensorIngest#submitNew}: a tensor with no previous version finds its most similar
 * stored tensor as a delta base, whether it fits one chunk (read once into memory, its sketch
 * taken from there) or not (sketched from a stream); a one-chunk copy of a stored tensor takes
 * no sketch and no base. Every tensor reads back bit-exact.
 */
class SubmitNewTest {
    @TempDir
    Path dir;

    record Source(String name, TensorSpec spec, byte[] bytes) implements TensorSource {
        @Override
        public InputStream openStream() {
            return new ByteArrayInputStream(bytes);
        }
    }

    static byte[] weights(long seed, int n) {
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (r.nextGaussian() * 0.05));
        }
        return b.array();
    }

    static byte[] nudged(byte[] base, long seed) {
        Random r = new Random(seed);
        ByteBuffer in = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(base.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < base.length / 4; i++) {
            out.putFloat(in.getFloat(4 * i) - (float) (1e-3 * r.nextGaussian() * 0.05));
        }
        return out.array();
    }

    /**
     * Elements per tensor, chunk bytes (one chunk, read into memory, or four, streamed) and
     * ingest workers (the inserter itself, or a pipeline).
     */
    @ParameterizedTest(name = "{0} elements, chunks of {1} bytes, {2} workers")
    @CsvSource({"20000, 4194304, 1", "20000, 20000, 1", "20000, 4194304, 2", "20000, 20000, 2"})
    void aFineTuneFindsItsBaseAndACopyTakesNoSketch(int elements, int chunkBytes, int workers) throws IOException {
        boolean oneChunk = 4L * elements <= chunkBytes;
        TensorSpec spec = TensorSpec.of(DType.F32, elements);
        byte[] base = weights(elements, elements);
        byte[] fineTune = nudged(base, 7);
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter();
             ChunkSink sink = ins.newChunkSink(workers)) {
            ObjectGraph graph = new ObjectGraph(store);
            SimilarBases similar = SimilarBases.open(dir.resolve("similarity"), graph, new SimilarityCheck());
            TensorIngest ingest = new TensorIngest(ins, sink, chunkBytes);

            TensorIngest.Planned first = ingest.submitNew(new Source("w", spec, base), "w", similar, null);
            sink.drain();
            assertNull(first.plan().base(), "nothing stored to be a base yet");
            ObjectId baseId = first.submitted().write(ins);
            similar.add(baseId, first.plan());
            ins.flush();

            TensorIngest.Planned ft = ingest.submitNew(new Source("renamed.w", spec, fineTune), "ft", similar, null);
            sink.drain();
            assertNotNull(ft.plan().sketch(), "a new tensor is sketched");
            assertNotNull(ft.plan().base(), "the fine-tune finds its base by content");
            assertEquals(graph.tensor(baseId), ft.plan().base());
            ObjectId ftId = ft.submitted().write(ins);
            ins.flush();
            for (ChunkRef c : ft.submitted().object().chunks()) {
                assertTrue(store.chainDepth(c.id()) >= 1, "chunk " + c.id() + " is a delta");
            }

            TensorIngest.Planned copy = ingest.submitNew(new Source("copy.w", spec, base.clone()), "copy", similar, null);
            sink.drain();
            if (oneChunk) {
                assertSame(SimilarBases.NO_PLAN, copy.plan(), "a stored chunk's copy is neither sketched nor given a base");
            }
            assertEquals(baseId, copy.submitted().write(ins), "the copy is the same tensor object");
            ins.flush();

            assertArrayEquals(base, readAll(store, graph.tensor(baseId)));
            assertArrayEquals(fineTune, readAll(store, graph.tensor(ftId)));
            if (oneChunk) { // the id taken before the look-up is the one the chunk is stored under
                assertEquals(ObjectId.hashOf(base), graph.tensor(baseId).chunks().get(0).id());
                assertEquals(ObjectId.hashOf(fineTune), graph.tensor(ftId).chunks().get(0).id());
            }
        }
    }

    @ParameterizedTest(name = "chunks of {0} bytes")
    @CsvSource({"4194304", "20000"})
    void aTensorShorterThanItsSpecIsRefusedByName(int chunkBytes) throws IOException {
        TensorSpec spec = TensorSpec.of(DType.F32, 20000);
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter();
             ChunkSink sink = ins.newChunkSink(1)) {
            SimilarBases similar = SimilarBases.open(dir.resolve("similarity"), new ObjectGraph(store), new SimilarityCheck());
            TensorIngest ingest = new TensorIngest(ins, sink, chunkBytes);
            TensorIngest.Planned w = ingest.submitNew(new Source("w", spec, weights(1, 20000)), "w", similar, null);
            sink.drain();
            similar.add(w.submitted().write(ins), w.plan());
            ins.flush();
            assertTrue(similar.mayHaveBase(spec), "a stored tensor of this shape is indexed: the next one is sketched first");
            byte[] shorter = new byte[79_999];
            BadInputException e = assertThrows(BadInputException.class,
                    () -> ingest.submitNew(new Source("short", spec, shorter), "model.safetensors: tensor 'short'", similar, null));
            assertTrue(e.getMessage().startsWith("model.safetensors: tensor 'short': "), e.getMessage());
        }
    }

    private static byte[] readAll(ObjectStore store, TensorObject t) throws IOException {
        try (InputStream in = new ChunkedTensorInputStream(store, t, false)) {
            return in.readAllBytes();
        }
    }
}
