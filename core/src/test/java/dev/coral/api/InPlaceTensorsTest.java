package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.HeapInputStream;
import dev.coral.format.TensorSource;
import dev.coral.repo.FileEntry;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.TensorIngest;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-memory tensors on the heap are chunked in place ({@link HeapInputStream}), not copied out:
 * the same chunk and tensor ids, deltas and bytes as tensors streamed from direct buffers
 * (copied), whatever the offsets of the slices and the chunk boundaries.
 */
class InPlaceTensorsTest {
    @TempDir
    Path dir;

    private static final int CHUNK = 4096;

    /** Tensors of {@code sizes} floats from {@code values}, as heap slices at odd offsets of one array, or as direct buffers. */
    private static List<TensorSource> tensors(float[][] values, boolean heap) {
        List<TensorSource> out = new ArrayList<>();
        for (int t = 0; t < values.length; t++) {
            int n = values[t].length * 4;
            ByteBuffer b;
            if (heap) {
                byte[] big = new byte[n + 13 + t];
                b = ByteBuffer.wrap(big, 13 + t, n).slice(); // arrayOffset 13 + t
            } else {
                b = ByteBuffer.allocateDirect(n);
            }
            b.order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float v : values[t]) {
                b.putFloat(v);
            }
            b.flip();
            out.add(Tensors.of("t" + t, TensorSpec.of(DType.F32, values[t].length), b));
        }
        return out;
    }

    @RepeatedTest(4)
    void heapSlicesStoreWhatCopiedBytesStore(RepetitionInfo rep) throws IOException {
        long seed = 31 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int count = 1 + r.nextInt(5);
        float[][] values = new float[count][];
        for (int t = 0; t < count; t++) {
            values[t] = new float[r.nextInt(3 * CHUNK / 4 + 1) + (t == 0 ? CHUNK / 4 * 2 : 0)]; // some span several chunks, some are empty
            for (int i = 0; i < values[t].length; i++) {
                values[t][i] = (float) r.nextGaussian();
            }
        }
        RepositoryConfig config = RepositoryConfig.defaults().withChunkBytes(CHUNK);
        try (Repository heap = Repository.init(dir.resolve("heap"), config); Repository direct = Repository.init(dir.resolve("direct"), config)) {
            for (int v = 0; v < 3; v++) {
                for (float[] x : values) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] += (float) (r.nextGaussian() * 1e-3);
                    }
                }
                heap.commitTensors("m.safetensors", tensors(values, true), Map.of(), CommitRequest.of("v" + v));
                direct.commitTensors("m.safetensors", tensors(values, false), Map.of(), CommitRequest.of("v" + v));
                FileEntry a = heap.fileAt("HEAD", "m.safetensors");
                FileEntry b = direct.fileAt("HEAD", "m.safetensors");
                assertEquals(b.tensors(), a.tensors(), "seed " + seed + " v" + v);
                assertArrayEquals(b.fileSha256(), a.fileSha256(), "seed " + seed + " v" + v);
                assertEquals(direct.stats(false, false).storedBytes(), heap.stats(false, false).storedBytes(), "seed " + seed + " v" + v);
                for (int t = 0; t < count; t++) {
                    try (InputStream in = heap.tensor("HEAD", "m.safetensors", "t" + t).openVerifiedStream()) {
                        ByteBuffer want = ByteBuffer.allocate(values[t].length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        for (float x : values[t]) {
                            want.putFloat(x);
                        }
                        assertArrayEquals(want.array(), in.readAllBytes(), "seed " + seed + " v" + v + " t" + t);
                    }
                }
            }
        }
    }

    @Test
    void aHeapStreamShorterThanItsSpecIsRefused() throws IOException {
        byte[] bytes = new byte[3 * CHUNK];
        TensorSource lying = new TensorSource() {
            @Override
            public String name() {
                return "w";
            }

            @Override
            public TensorSpec spec() {
                return TensorSpec.of(DType.U8, bytes.length + 8);
            }

            @Override
            public InputStream openStream() {
                return new HeapInputStream(bytes, 0, bytes.length);
            }
        };
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(CHUNK))) {
            // the chunking finds it short (below); the safetensors writer's message is the one a commit gives
            BadInputException e = assertThrows(BadInputException.class,
                    () -> repo.commitTensors("m.safetensors", List.of(lying), Map.of(), CommitRequest.of("lying")));
            assertTrue(e.getMessage().contains("ended after " + bytes.length + " of " + (bytes.length + 8)), e.getMessage());
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1); ObjectInserter ins = store.newInserter();
             ChunkSink sink = ins.newChunkSink(1)) {
            TensorIngest ingest = new TensorIngest(ins, sink, CHUNK);
            BadInputException e = assertThrows(BadInputException.class,
                    () -> ingest.submit(lying.spec(), lying.openStream(), "lying", null));
            assertTrue(e.getMessage().contains("data ends after " + bytes.length + " of " + (bytes.length + 8)), e.getMessage());
        }
    }
}
