package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.ChecksummedFile;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LshIndexTest {
    static ObjectId id(String name) {
        return ObjectId.hashOf(name.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** A family (base and fine-tunes) plus unrelated tensors, 20k fp32 elements each. */
    static LshIndex sampleIndex(long seed, LshIndex.Config config) {
        SimilarityTestData d = new SimilarityTestData(seed, 20_000, 4);
        LshIndex index = new LshIndex(config);
        Shape shape = Shape.of(20_000);
        index.put(id("base"), SketchBuilder.of(DType.F32, shape, SimilarityTestData.f32(d.base)));
        for (int i = 0; i < d.fineTunes.size(); i++) {
            index.put(id("ft" + i), SketchBuilder.of(DType.F32, shape, SimilarityTestData.f32(d.fineTunes.get(i))));
        }
        for (int i = 0; i < d.unrelated.size(); i++) {
            index.put(id("u" + i), SketchBuilder.of(DType.F32, shape, SimilarityTestData.f32(d.unrelated.get(i))));
        }
        index.put(id("bf16"), SketchBuilder.of(DType.BF16, shape, SimilarityTestData.bf16(d.base)));
        return index;
    }

    @Test
    void persistenceRoundTrip(@TempDir Path dir) throws IOException {
        long seed = 8;
        LshIndex index = sampleIndex(seed, LshIndex.Config.DEFAULT);
        Path f = dir.resolve("similarity");
        LshIndex missing = LshIndex.load(f);
        assertEquals(0, missing.size());
        assertTrue(missing.loadProblem().isEmpty(), "a missing file is not a problem");

        index.save(f);
        LshIndex back = LshIndex.load(f);
        assertTrue(back.loadProblem().isEmpty(), back.loadProblem().toString());
        assertEquals(index.entries(), back.entries(), "seed " + seed);
        assertEquals(new ArrayList<>(index.entries().keySet()), new ArrayList<>(back.entries().keySet()), "order kept");
        for (TensorSketch s : index.entries().values()) {
            assertEquals(index.candidates(s, 5), back.candidates(s, 5), "seed " + seed);
        }
        byte[] file = Files.readAllBytes(f);
        System.out.printf("similarity index: %d entries in %d bytes (%.0f bytes each)%n",
                index.size(), file.length, (double) file.length / index.size());

        // appending = put + save, which rewrites the whole file
        back.put(id("new"), SketchBuilder.of(DType.F32, Shape.of(3), new byte[12]));
        back.save(f);
        assertEquals(index.size() + 1, LshIndex.load(f).size());
    }

    @Test
    void aDamagedFileIsIgnoredAndReported(@TempDir Path dir) throws IOException {
        long seed = 9;
        Random r = new Random(seed);
        LshIndex index = sampleIndex(seed, LshIndex.Config.DEFAULT);
        Path f = dir.resolve("similarity");
        index.save(f);
        byte[] good = Files.readAllBytes(f);
        for (int trial = 0; trial < 200; trial++) {
            byte[] bad = good.clone();
            int at = trial < 40 ? trial : r.nextInt(bad.length);
            bad[at] ^= (byte) (1 + r.nextInt(255));
            Files.write(f, bad);
            LshIndex loaded = LshIndex.load(f);
            assertEquals(0, loaded.size(), "seed " + seed + " flip at " + at);
            assertTrue(loaded.loadProblem().isPresent(), "seed " + seed + " flip at " + at);
            assertTrue(loaded.loadProblem().get().contains(f.toString()), loaded.loadProblem().get());
        }
        Files.write(f, java.util.Arrays.copyOf(good, good.length / 2));
        assertTrue(LshIndex.load(f).loadProblem().get().contains("truncated") || LshIndex.load(f).loadProblem().isPresent());

        // a folder, or a link to a device, in its place: a problem naming the file in words, no Java class name
        Files.delete(f);
        Files.createDirectory(f);
        assertEquals(f + ": cannot be read (Is a directory)", LshIndex.load(f).loadProblem().get());
        Files.delete(f);
        if (Files.exists(Path.of("/dev/zero"))) {
            Files.createSymbolicLink(f, Path.of("/dev/zero"));
            assertTrue(LshIndex.load(f).loadProblem().get().startsWith(f + ": not a regular file"), LshIndex.load(f).loadProblem().get());
            Files.delete(f);
        }

        // a newer file version, or a newer sketch version inside a valid file: ignored, reported
        Files.write(f, ChecksummedFile.encode(LshIndex.MAGIC, 2, new byte[] {1, 0}));
        assertTrue(LshIndex.load(f).loadProblem().get().contains("version 2"), LshIndex.load(f).loadProblem().get());
        Files.write(f, ChecksummedFile.encode(LshIndex.MAGIC, 1, new byte[] {2, 0}));
        assertTrue(LshIndex.load(f).loadProblem().get().contains("sketch format version 2"), LshIndex.load(f).loadProblem().get());
        // a structurally bad body under a valid checksum (e.g. written by a buggy writer)
        Files.write(f, ChecksummedFile.encode(LshIndex.MAGIC, 1, new byte[] {1, 5, 0}));
        assertTrue(LshIndex.load(f).loadProblem().isPresent());
        LshIndex.load(f).save(f); // the caller may write a fresh (here empty) index over it
        assertEquals(0, LshIndex.load(f).size());
        assertTrue(LshIndex.load(f).loadProblem().isEmpty());
    }

    @Test
    void differentDtypeOrElementCountIsNeverACandidate() {
        Random r = new Random(10);
        byte[] bytes = randomBytes(r, 4 * 1000);
        LshIndex index = new LshIndex();
        index.put(id("f32-1000"), SketchBuilder.of(DType.F32, Shape.of(1000), bytes));
        index.put(id("f32-10x100"), SketchBuilder.of(DType.F32, Shape.of(10, 100), bytes));
        index.put(id("i32-1000"), SketchBuilder.of(DType.I32, Shape.of(1000), bytes));
        index.put(id("u32-1000"), SketchBuilder.of(DType.U32, Shape.of(1000), bytes));
        index.put(id("bf16-2000"), SketchBuilder.of(DType.BF16, Shape.of(2000), bytes));
        index.put(id("f32-999"), SketchBuilder.of(DType.F32, Shape.of(999), java.util.Arrays.copyOf(bytes, 3996)));
        index.put(id("f32-1001"), SketchBuilder.of(DType.F32, Shape.of(1001), java.util.Arrays.copyOf(bytes, 4004)));
        TensorSketch q = SketchBuilder.of(DType.F32, Shape.of(1000), bytes);
        List<LshIndex.Candidate> c = index.candidates(q, 100);
        assertEquals(List.of(id("f32-1000"), id("f32-10x100")).stream().sorted().toList(),
                c.stream().map(LshIndex.Candidate::id).sorted().toList());
        assertEquals(0, c.get(0).distance());
        assertThrows(IllegalArgumentException.class,
                () -> new SimilarityCheck().compare(q, index.get(id("i32-1000")).orElseThrow()));
        assertTrue(index.candidates(SketchBuilder.of(DType.F16, Shape.of(1000), new byte[2000]), 10).isEmpty());
    }

    @Test
    void bandedSearchFindsCloseTensorsInALargeGroup() {
        long seed = 12;
        Random r = new Random(seed);
        int n = 2048;
        LshIndex.Config banded = new LshIndex.Config(16, 8, 100);
        LshIndex index = new LshIndex(banded);
        LshIndex exhaustive = new LshIndex(new LshIndex.Config(16, 8, Integer.MAX_VALUE));
        // 2500 unrelated fp32 tensors of one size, then a base and its fine-tunes
        for (int i = 0; i < 2500; i++) {
            TensorSketch s = SketchBuilder.of(DType.F32, Shape.of(n), SimilarityTestData.f32(SimilarityTestData.gaussian(r, n, 0.05)));
            index.put(id("noise" + i), s);
            exhaustive.put(id("noise" + i), s);
        }
        float[] base = SimilarityTestData.gaussian(r, n, 0.05);
        TensorSketch baseSketch = SketchBuilder.of(DType.F32, Shape.of(n), SimilarityTestData.f32(base));
        index.put(id("base"), baseSketch);
        exhaustive.put(id("base"), baseSketch);
        int found = 0;
        for (double lr : new double[] {1e-4, 1e-3, 2.5e-3, 5e-3}) {
            float[] ft = new float[n];
            for (int i = 0; i < n; i++) {
                ft[i] = (float) (base[i] + lr * r.nextGaussian());
            }
            TensorSketch q = SketchBuilder.of(DType.F32, Shape.of(n), SimilarityTestData.f32(ft));
            List<LshIndex.Candidate> c = index.candidates(q, 3);
            List<LshIndex.Candidate> all = exhaustive.candidates(q, 3);
            assertEquals(id("base"), all.get(0).id(), "seed " + seed + " lr " + lr);
            if (!c.isEmpty() && c.get(0).id().equals(id("base"))) {
                found++;
            }
            // banding only ever drops candidates; what it returns is ranked the same
            for (LshIndex.Candidate x : c) {
                assertTrue(x.distance() >= all.get(0).distance());
            }
            System.out.printf("banded search, 2501 tensors of one size: lr=%.4f base at distance %d, banded top %s%n",
                    lr, baseSketch.distance(q), c.isEmpty() ? "none" : c.get(0).distance() + (c.get(0).id().equals(id("base")) ? " (base)" : ""));
        }
        assertTrue(found >= 3, "seed " + seed + ": banded search found the base " + found + " of 4 times");
    }

    @Test
    void putReplacesRemoveAndRetainAllForget() {
        Random r = new Random(13);
        LshIndex index = new LshIndex();
        TensorSketch a = SketchBuilder.of(DType.F32, Shape.of(100), randomBytes(r, 400));
        TensorSketch b = SketchBuilder.of(DType.F32, Shape.of(100), randomBytes(r, 400));
        index.put(id("a"), a);
        index.put(id("a"), b);
        assertEquals(1, index.size());
        assertEquals(b, index.get(id("a")).orElseThrow());
        index.put(id("b"), a);
        assertEquals(id("a"), index.candidates(b, 1).get(0).id());
        assertTrue(index.candidates(b, 5, 128, id("a")).stream().noneMatch(c -> c.id().equals(id("a"))));
        assertTrue(index.remove(id("a")));
        assertFalse(index.remove(id("a")));
        assertEquals(1, index.candidates(b, 5).size());
        assertEquals(1, index.retainAll(Set.of()));
        assertEquals(0, index.size());
        assertTrue(index.candidates(b, 5).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new LshIndex.Config(17, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> new LshIndex.Config(2, 33, 0));
    }
}
