package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LossyCommitTest {
    private static final int N = 20_000;

    @TempDir
    Path dir;

    private static byte[] f32(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a);
        return b.array();
    }

    private static float[] floats(byte[] b) {
        float[] a = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
        return a;
    }

    private static byte[] bf16(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : a) {
            b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        }
        return b.array();
    }

    private static float bf16At(byte[] b, int i) {
        int bits = (b[2 * i] & 0xFF) | (b[2 * i + 1] & 0xFF) << 8;
        return Float.intBitsToFloat(bits << 16);
    }

    private Path model(float[] w, int[] ints) throws IOException {
        return TestModels.writeSafetensors(dir.resolve("m.safetensors"), tensors(w, ints));
    }

    private static byte[] read(Repository repo, String rev, String name) throws IOException {
        try (InputStream in = repo.tensor(rev, "m.safetensors", name).openVerifiedStream()) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-3", "1e-5", "0.25"})
    void theErrorBoundHoldsForEveryElementAndLaterLosslessCommitsAreExact(String eps) throws IOException {
        double bound = Double.parseDouble(eps);
        Random r = new Random(eps.hashCode());
        float[] w = new float[N];
        int[] ids = new int[N];
        for (int i = 0; i < N; i++) {
            w[i] = (float) (r.nextGaussian() * 0.05);
            ids[i] = r.nextInt();
        }
        w[7] = Float.NaN;
        w[8] = Float.POSITIVE_INFINITY;
        w[9] = -0.0f;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(16_384))) {
            repo.add(List.of(model(w, ids)));
            repo.commit(CommitRequest.of("v1"));
            float[] w2 = w.clone();
            for (int i = 10; i < N; i++) {
                w2[i] += (float) (r.nextGaussian() * 1e-3);
            }
            ids[5] ^= 1;
            Path m = model(w2, ids);
            byte[] exactH = Files.readAllBytes(m).length > 0 ? bf16(w2) : null;
            repo.add(List.of(m));
            ObjectId lossy = repo.commit(CommitRequest.of("v2 lossy").withLossy(eps));
            java.util.Set<ObjectId> lossyChunks = new java.util.HashSet<>();
            for (String name : List.of("w", "h")) {
                repo.tensor("HEAD", "m.safetensors", name).object().chunks().forEach(c -> lossyChunks.add(c.id()));
            }
            // Quantized chunks equal to lossless ones (every element snapped to the base) are the same objects.
            for (StoredTensor t : repo.tensors("HEAD~1", "m.safetensors")) {
                t.object().chunks().forEach(c -> lossyChunks.remove(c.id()));
            }
            assertTrue(repo.readCommit(lossy).isLossy());
            assertEquals(eps, repo.readCommit(lossy).lossyEps());
            assertTrue(repo.fileAt("HEAD", "m.safetensors").isLossy());

            float[] back = floats(read(repo, "HEAD", "w"));
            byte[] backH = read(repo, "HEAD", "h");
            for (int i = 0; i < N; i++) {
                if (!Float.isFinite(w2[i])) {
                    assertEquals(Float.floatToRawIntBits(w2[i]), Float.floatToRawIntBits(back[i]), "non-finite values are kept as they are");
                    continue;
                }
                assertTrue(Math.abs((double) back[i] - w2[i]) <= bound, "F32 element " + i + ": " + back[i] + " vs " + w2[i] + " eps " + eps);
                float hb = bf16At(backH, i);
                float hw = bf16At(exactH, i);
                assertTrue(!Float.isFinite(hw) ? Float.floatToRawIntBits(hw) == Float.floatToRawIntBits(hb)
                        : Math.abs((double) hb - hw) <= bound, "BF16 element " + i + " eps " + eps);
            }
            ByteBuffer ib = ByteBuffer.allocate(N * 4).order(ByteOrder.LITTLE_ENDIAN);
            ib.asIntBuffer().put(ids);
            assertArrayEquals(ib.array(), read(repo, "HEAD", "ids"), "integers are never quantized");

            // Checkout writes the quantized file and verifies it against the sha the lossy entry recorded.
            Files.delete(m);
            repo.checkout("HEAD", true);
            assertEquals(repo.fileAt("HEAD", "m.safetensors").fileSize(), Files.size(m));

            // A lossless commit after the lossy one is bit-exact and uses no lossy base.
            float[] w3 = w2.clone();
            for (int i = 10; i < N; i++) {
                w3[i] += (float) (r.nextGaussian() * 1e-4);
            }
            repo.add(List.of(model(w3, ids)));
            ObjectId exact = repo.commit(CommitRequest.of("v3"));
            assertFalse(repo.readCommit(exact).isLossy());
            assertArrayEquals(f32(w3), read(repo, "HEAD", "w"));
            for (StoredTensor t : repo.tensors("HEAD", "m.safetensors")) {
                for (ChunkRef c : t.object().chunks()) {
                    for (ObjectId at = c.id(); at != null; at = repo.deltaBase(at)) {
                        assertFalse(lossyChunks.contains(at), "a lossless chunk never deltas against a lossy one");
                    }
                }
            }
        }
    }

    private static long packCount(Path root) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(root.resolve(".coral").resolve("packs"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".pack")).count();
        }
    }

    /** The model: w as F32 and as BF16, and integers. */
    private static List<TensorSource> tensors(float[] w, int[] ints) {
        ByteBuffer ib = ByteBuffer.allocate(ints.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        ib.asIntBuffer().put(ints);
        return List.of(
                Tensors.of("w", TensorSpec.of(DType.F32, w.length), f32(w)),
                Tensors.of("h", TensorSpec.of(DType.BF16, w.length), bf16(w)),
                Tensors.of("ids", TensorSpec.of(DType.I32, ints.length), ib.array()));
    }

    private static float[] drift(float[] w, Random r, double by) {
        float[] next = w.clone();
        for (int i = 0; i < next.length; i++) {
            next[i] += (float) (r.nextGaussian() * by);
        }
        return next;
    }

    /**
     * {@code commit --lossy PATH} and {@link Repository#commitTensors} with a lossy request quantize
     * the tensors as they read them: they store the same commit tree as {@code add} then
     * {@code commit --lossy}, but no lossless copy of the quantized tensors, which the two-step way
     * leaves behind as garbage. An unchanged file stays HEAD's entry, lossless.
     */
    @Test
    void aLossyCommitOfPathsOrTensorsStoresNoLosslessCopy() throws IOException {
        Random r = new Random(11);
        float[] w1 = drift(new float[N], r, 0.05);
        float[] w2 = drift(w1, r, 1e-3);
        int[] ids = r.ints(N).toArray();
        List<TensorSource> other = List.of(Tensors.of("b", TensorSpec.of(DType.F32, 1000), f32(drift(new float[1000], r, 1))));
        RepositoryConfig config = RepositoryConfig.defaults().withChunkBytes(16_384);
        Path twoSteps = dir.resolve("two-steps");
        Path oneStep = dir.resolve("one-step");
        Path inMemory = dir.resolve("in-memory");
        ObjectId[] trees = new ObjectId[3];
        try (Repository repo = Repository.init(twoSteps, config)) {
            TestModels.writeSafetensors(twoSteps.resolve("m.safetensors"), tensors(w1, ids));
            TestModels.writeSafetensors(twoSteps.resolve("o.safetensors"), other);
            repo.add(List.of(twoSteps.resolve("m.safetensors"), twoSteps.resolve("o.safetensors")));
            repo.commit(CommitRequest.of("v1"));
            TestModels.writeSafetensors(twoSteps.resolve("m.safetensors"), tensors(w2, ids));
            repo.add(List.of(twoSteps.resolve("m.safetensors")));
            trees[0] = repo.readCommit(repo.commit(CommitRequest.of("v2").withLossy("1e-3"))).tree();
            assertTrue(repo.gc(true, java.time.Duration.ZERO).objectsRemoved() > 0,
                    "add then commit --lossy leaves the lossless chunks it staged as garbage");
        }
        try (Repository repo = Repository.init(oneStep, config)) {
            TestModels.writeSafetensors(oneStep.resolve("m.safetensors"), tensors(w1, ids));
            TestModels.writeSafetensors(oneStep.resolve("o.safetensors"), other);
            repo.commit(CommitRequest.of("v1"), List.of(oneStep.resolve("m.safetensors"), oneStep.resolve("o.safetensors")));
            TestModels.writeSafetensors(oneStep.resolve("m.safetensors"), tensors(w2, ids));
        }
        // a fresh handle, as a command opens: the new chunks are not kept in memory, so the entry is hashed from the packs
        try (Repository repo = Repository.open(oneStep)) {
            ObjectId c = repo.commit(CommitRequest.of("v2").withLossy("1e-3"),
                    List.of(oneStep.resolve("m.safetensors"), oneStep.resolve("o.safetensors")));
            trees[1] = repo.readCommit(c).tree();
            assertEquals(0, repo.gc(true, java.time.Duration.ZERO).objectsRemoved(), "commit --lossy PATHS leaves no garbage");
            assertTrue(repo.fileAt("HEAD", "m.safetensors").isLossy());
            assertFalse(repo.fileAt("HEAD", "o.safetensors").isLossy(), "an unchanged file stays as HEAD has it");
            assertTrue(repo.status().isClean(), "the working files are what the staging index records");
            float[] back = floats(read(repo, "HEAD", "w"));
            for (int i = 0; i < N; i++) {
                assertTrue(Math.abs((double) back[i] - w2[i]) <= 1e-3, "element " + i);
            }
            Files.delete(oneStep.resolve("m.safetensors"));
            repo.checkout("HEAD", true); // verifies the file it writes against the checksums the lossy entry records
            assertEquals(repo.fileAt("HEAD", "m.safetensors").fileSize(), Files.size(oneStep.resolve("m.safetensors")));
        }
        try (Repository repo = Repository.init(inMemory, config)) {
            repo.commitTensors("m.safetensors", tensors(w1, ids), java.util.Map.of(), CommitRequest.of("v1"));
            repo.commitTensors("o.safetensors", other, java.util.Map.of(), CommitRequest.of("v1 o"));
            long packs = packCount(inMemory);
            repo.commitTensors("m.safetensors", tensors(w2, ids), java.util.Map.of(), CommitRequest.of("v2").withLossy("1e-3"));
            assertEquals(packs + 1, packCount(inMemory), "a handle that committed before hashes the entry from memory: one pack");
            trees[2] = repo.readCommit(repo.headCommit()).tree();
            assertEquals(0, repo.gc(true, java.time.Duration.ZERO).objectsRemoved(), "a lossy commitTensors leaves no garbage");
            repo.checkout("HEAD", true);
            assertEquals(repo.fileAt("HEAD", "m.safetensors").fileSize(), Files.size(inMemory.resolve("m.safetensors")));
            assertThrows(BadInputException.class, () -> repo.commitTensors("o.safetensors", other, java.util.Map.of(),
                    CommitRequest.of("o again").withLossy("1e-3")), "tensors as HEAD has them are nothing to commit");
        }
        assertEquals(trees[0], trees[1], "commit --lossy PATHS stores what add then commit --lossy stores");
        assertEquals(trees[0], trees[2], "a lossy commitTensors stores what add then commit --lossy stores");
    }

    /**
     * A lossy request that quantizes nothing (the first commit; a commit of a new file only) stores
     * every tensor exactly, and the commit is not marked lossy; the one that quantizes is.
     */
    @Test
    void aLossyCommitThatQuantizesNothingIsNotMarkedLossy() throws IOException {
        Random r = new Random(12);
        float[] w1 = drift(new float[N], r, 0.05);
        int[] ids = r.ints(N).toArray();
        try (Repository repo = Repository.init(dir)) {
            ObjectId first = repo.commitTensors("m.safetensors", tensors(w1, ids), java.util.Map.of(),
                    CommitRequest.of("v1").withLossy("1e-3"));
            assertFalse(repo.readCommit(first).isLossy(), "nothing to quantize against: bit-exact");
            assertEquals("", repo.readCommit(first).lossyEps());
            Path n = TestModels.writeSafetensors(dir.resolve("n.safetensors"), tensors(drift(w1, r, 1e-2), ids));
            ObjectId newFile = repo.commit(CommitRequest.of("n").withLossy("1e-3"), List.of(n));
            assertFalse(repo.readCommit(newFile).isLossy(), "a new file is stored exactly");
            assertFalse(repo.fileAt("HEAD", "n.safetensors").isLossy());
            repo.add(List.of(model(drift(w1, r, 1e-3), ids)));
            ObjectId quantized = repo.commit(CommitRequest.of("v2").withLossy("1e-3"));
            assertTrue(repo.readCommit(quantized).isLossy());
            assertEquals(1, repo.stats(false, false).lossyCommits());

            // Found by fuzzing: a change that has nothing to quantize was marked lossy though stored bit-exact.
            float[] w2 = drift(w1, r, 1e-3);
            repo.add(List.of(model(w2, ids)));
            repo.commit(CommitRequest.of("v3, lossless"));
            int[] ids2 = r.ints(N).toArray();
            Path intsOnly = model(w2, ids2); // only the integer tensor changed, in three ways of committing it
            ObjectId added = commitAfterAdd(repo, intsOnly, "ints only, add then commit --lossy");
            int[] ids3 = r.ints(N).toArray();
            ObjectId byPath = repo.commit(CommitRequest.of("ints only, commit --lossy PATH").withLossy("1e-3"),
                    List.of(model(w2, ids3)));
            int[] ids4 = r.ints(N).toArray();
            ObjectId byTensors = repo.commitTensors("m.safetensors", tensors(w2, ids4), java.util.Map.of(),
                    CommitRequest.of("ints only, commitTensors lossy").withLossy("1e-3"));
            List<TensorSource> resized = List.of(Tensors.of("w", TensorSpec.of(DType.F32, N / 2), f32(Arrays.copyOf(w2, N / 2))),
                    Tensors.of("h", TensorSpec.of(DType.F32, N), f32(w2))); // a new size, a new dtype: nothing to quantize against
            ObjectId reshaped = repo.commitTensors("m.safetensors", resized, java.util.Map.of(),
                    CommitRequest.of("floats resized and retyped").withLossy("1e-3"));
            for (ObjectId c : List.of(added, byPath, byTensors, reshaped)) {
                assertFalse(repo.readCommit(c).isLossy(), repo.readCommit(c).subject());
                assertFalse(repo.fileAt(c.hex(), "m.safetensors").isLossy(), repo.readCommit(c).subject());
            }
            ByteBuffer ib = ByteBuffer.allocate(N * 4).order(ByteOrder.LITTLE_ENDIAN);
            ib.asIntBuffer().put(ids4);
            assertArrayEquals(ib.array(), read(repo, byTensors.hex(), "ids"));
            assertArrayEquals(f32(w2), read(repo, reshaped.hex(), "h"));
            assertEquals(1, repo.stats(false, false).lossyCommits());
        }
    }

    /**
     * A commit that keeps a lossy file unchanged holds it as it was stored (found by fuzzing: stats
     * then said every other commit was bit-exact): it is not a lossy commit, and stats counts it
     * among the commits that hold a lossy file.
     */
    @Test
    void aLaterCommitKeepingALossyFileIsCountedAsHoldingIt() throws IOException {
        Random r = new Random(13);
        float[] w1 = drift(new float[N], r, 0.05);
        int[] ids = r.ints(N).toArray();
        try (Repository repo = Repository.init(dir)) {
            Path other = TestModels.writeSafetensors(dir.resolve("o.safetensors"), tensors(w1, ids));
            repo.commit(CommitRequest.of("v1"), List.of(model(w1, ids), other));
            repo.commit(CommitRequest.of("v2 lossy").withLossy("1e-3"), List.of(model(drift(w1, r, 1e-2), ids)));
            TestModels.writeSafetensors(other, tensors(drift(w1, r, 1e-2), ids));
            ObjectId later = repo.commit(CommitRequest.of("o changes, m kept"), List.of(other));
            assertFalse(repo.readCommit(later).isLossy());
            assertTrue(repo.fileAt("HEAD", "m.safetensors").isLossy());
            RepositoryStats s = repo.stats(false, false);
            assertEquals(1, s.lossyCommits());
            assertEquals(2, s.commitsHoldingLossyFiles());
        }
    }

    private ObjectId commitAfterAdd(Repository repo, Path file, String message) throws IOException {
        repo.add(List.of(file));
        return repo.commit(CommitRequest.of(message).withLossy("1e-3"));
    }

    @Test
    void aLossyBoundMustBePositiveAndFinite() throws BadInputException {
        // Java's number grammar is not the bound's (found by fuzzing: hex floats, type suffixes and blanks were taken,
        // and the text recorded, which JSON output then gave as a string): a decimal number as JSON writes it.
        for (String bad : List.of("0", "-0", "-1", "abc", "", "NaN", "Infinity", "1e400", "1e-400", "0x1p-3", "1e-3d", "1E-3F",
                " 1e-3 ", ".5", "1.", "+1e-3", "1e-3x", "01e-3")) {
            BadInputException e = assertThrows(BadInputException.class, () -> CommitRequest.of("x").withLossy(bad), bad);
            assertTrue(e.getMessage().startsWith("--lossy=" + bad + ": "), e.getMessage());
        }
        assertTrue(assertThrows(BadInputException.class, () -> CommitRequest.of("x").withLossy(null)).getMessage()
                .startsWith("--lossy: no error bound"));
        for (String good : List.of("1e-50", "1E-3", "0.001", "2.5e+3", "1e300", "7")) {
            assertEquals(good, CommitRequest.of("x").withLossy(good).lossyEps());
        }
    }
}
