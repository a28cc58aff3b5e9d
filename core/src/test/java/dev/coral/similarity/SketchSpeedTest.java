package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prints what a sketch costs; the asserted floors are far below the measured figures. */
class SketchSpeedTest {
    @Test
    void sketchSpeed(@TempDir Path dir) throws IOException {
        Random r = new Random(21);
        int chunk = 4 << 20;
        byte[] buf = SimilarityTestData.f32(SimilarityTestData.gaussian(r, chunk / 4, 0.05));
        long bytes = 4L << 30; // a 4 GiB fp32 tensor streamed in 4 MiB chunks (the same buffer again and again)
        Shape shape = Shape.of(bytes / 4);
        double bestStream = 0;
        double updateMicros = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            SketchBuilder b = new SketchBuilder(DType.F32, shape);
            for (long off = 0; off < bytes; off += chunk) {
                b.update(off, buf, 0, chunk);
            }
            long tu = System.nanoTime();
            TensorSketch s = b.build();
            long t1 = System.nanoTime();
            bestStream = Math.max(bestStream, bytes / 1e6 / ((t1 - t0) / 1e9));
            updateMicros = Math.min(updateMicros, (tu - t0) / 1e3 / (bytes / chunk));
            assertEquals(4096, s.sampleCount());
        }

        // the fixed cost: SimHash, statistics and check bytes of 4096 samples
        byte[] small = SimilarityTestData.f32(SimilarityTestData.gaussian(r, 4096, 0.05));
        long t0 = System.nanoTime();
        int reps = 500;
        for (int i = 0; i < reps; i++) {
            SketchBuilder.of(DType.F32, Shape.of(4096), small);
        }
        double buildMicros = (System.nanoTime() - t0) / 1e3 / reps;

        // from a file: only the sampled units are read
        int fileFloats = 8 << 20;
        Path f = dir.resolve("t.bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int i = 0; i < fileFloats * 4 / chunk; i++) {
                ch.write(ByteBuffer.wrap(buf));
            }
        }
        double fileMillis = Double.MAX_VALUE;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            for (int round = 0; round < 5; round++) {
                long a = System.nanoTime();
                SketchBuilder.of(DType.F32, Shape.of(fileFloats), ch, 0);
                fileMillis = Math.min(fileMillis, (System.nanoTime() - a) / 1e6);
            }
        }

        // candidate queries
        LshIndex index = new LshIndex();
        LshIndex banded = new LshIndex(new LshIndex.Config(16, 8, 0));
        TensorSketch[] sketches = new TensorSketch[2048];
        for (int i = 0; i < sketches.length; i++) {
            byte[] t = new byte[4 * 4096];
            r.nextBytes(t);
            sketches[i] = SketchBuilder.of(DType.F32, Shape.of(4096), t);
            ObjectId id = ObjectId.hashOf(t, 0, 64);
            index.put(id, sketches[i]);
            banded.put(id, sketches[i]);
        }
        for (TensorSketch s : sketches) { // warm-up
            index.candidates(s, 4);
            banded.candidates(s, 4);
        }
        long q0 = System.nanoTime();
        for (TensorSketch s : sketches) {
            index.candidates(s, 4);
        }
        double exhaustiveMicros = (System.nanoTime() - q0) / 1e3 / sketches.length;
        q0 = System.nanoTime();
        for (TensorSketch s : sketches) {
            banded.candidates(s, 4);
        }
        double bandedMicros = (System.nanoTime() - q0) / 1e3 / sketches.length;
        Path idx = dir.resolve("similarity");
        long s0 = System.nanoTime();
        index.save(idx);
        double saveMillis = (System.nanoTime() - s0) / 1e6;
        s0 = System.nanoTime();
        assertEquals(2048, LshIndex.load(idx).size());
        double loadMillis = (System.nanoTime() - s0) / 1e6;

        System.out.printf("sketch, streamed chunks: %.0f MB/s (4 GiB fp32 tensor in 4 MiB chunks: %.2f us per chunk + build;"
                + " the cost is per sample, not per byte)%n", bestStream, updateMicros);
        System.out.printf("sketch build (SimHash + stats + check bytes of 4096 samples): %.0f us%n", buildMicros);
        System.out.printf("sketch from a 32 MiB file, sampled units only (page cache): %.2f ms%n", fileMillis);
        System.out.printf("candidates among 2048 of one size: exhaustive %.1f us, banded %.1f us per query%n", exhaustiveMicros, bandedMicros);
        System.out.printf("index of 2048 entries: %d bytes, save %.1f ms, load %.1f ms%n", Files.size(idx), saveMillis, loadMillis);
        assertTrue(bestStream > 2000, "streamed sketch speed " + bestStream + " MB/s");
    }
}
