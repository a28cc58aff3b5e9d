package dev.coral.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ND4J arrays committed and loaded back bit for bit: every data type Coral maps, random shapes
 * (scalars, empty and one-element arrays), C and Fortran order, views (slices, transposes,
 * permutations, views of views), random bit patterns with NaN payloads, -0.0, infinities and
 * subnormals. The expected bytes are computed here from each array's offset and strides, not by
 * ND4J's copy, and compared as bytes (NaN is not equal to itself). One class: ND4J loads its
 * native libraries once per JVM.
 */
class Nd4jCheckpointsTest {
    private static final DataType[] MAPPED = {DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16, DataType.INT32,
        DataType.INT64, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64, DataType.BOOL};

    @TempDir
    Path dir;

    @BeforeAll
    static void startNd4j() {
        long t0 = System.nanoTime();
        Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', 1);
        System.out.printf("ND4J start-up (first array, native libraries loaded): %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    }

    /** A random array and the C-order bytes it holds, worked out from its buffer, offset and strides. */
    record Case(INDArray array, byte[] expected, String how) {
    }

    @Test
    void tensorsStreamTheCOrderBytesOfEveryKindOfArray() throws IOException {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        int copied = 0;
        for (int i = 0; i < 600; i++) {
            Case c = randomCase(r);
            String at = "seed " + seed + ", case " + i + ": " + c.how();
            int window = 1 + r.nextInt(40);
            TensorSource t = Nd4jTensors.toTensors(Map.of("x", c.array()), window).get(0);
            assertEquals(TensorSpec.of(Nd4jDTypes.toCoral("x", c.array().dataType()), c.array().shape()), t.spec(), at);
            assertArrayEquals(c.expected(), readAll(t), at + ", window " + window);
            assertArrayEquals(c.expected(), readAll(t), at + ", read again");
            INDArray back = Nd4jTensors.toArrays(List.of(t), 1 + r.nextInt(40)).get("x");
            assertEquals(c.array().dataType(), back.dataType(), at);
            assertArrayEquals(c.array().shape(), back.shape(), at);
            assertArrayEquals(c.expected(), cBytes(back), at + ", loaded");
            INDArray streamed = ((ArrayTensor) t).array();
            if (NativeBytes.isPlain(c.array()) || c.array().isEmpty()) {
                assertSame(c.array(), streamed, at + ": a plain array is not copied");
            } else {
                assertNotSame(c.array(), streamed, at);
                copied++;
            }
        }
        assertTrue(copied > 100 && copied < 500, "seed " + seed + ": views and f-order arrays copied " + copied + " of 600");
    }

    @Test
    void randomCheckpointsRoundTripThroughCommitsBitForBit() throws IOException {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        List<ObjectId> commits = new ArrayList<>();
        List<Map<String, Case>> committed = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int k = 0; k < 25; k++) {
                Map<String, Case> cases = new LinkedHashMap<>();
                Map<String, INDArray> weights = new LinkedHashMap<>();
                int n = 1 + r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    Case c = randomCase(r);
                    String name = "layer" + r.nextInt(1000) + (r.nextBoolean() ? ".W" : ".b") + i;
                    cases.put(name, c);
                    weights.put(name, c.array());
                }
                ObjectId id = r.nextBoolean() ? Nd4jCheckpoints.commit(repo, "model.safetensors", weights, CommitRequest.of("step " + k))
                        : Nd4jCheckpoints.commitAsync(repo, "model.safetensors", weights, CommitRequest.of("step " + k)).join();
                commits.add(id);
                committed.add(cases);
                assertSameWeights(cases, Nd4jCheckpoints.load(repo, "HEAD", "model.safetensors"), "seed " + seed + ", commit " + k);
            }
            for (int k = 0; k < commits.size(); k++) { // every commit, read again at the end
                assertSameWeights(committed.get(k), Nd4jCheckpoints.load(repo, commits.get(k).toString(), "model.safetensors"),
                        "seed " + seed + ", commit " + k + " read last");
            }
        }
    }

    @Test
    void changedWeightsCommittedAgainLeaveTheFirstAtHeadMinusOne() throws IOException {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        try (Repository repo = Repository.init(dir)) {
            INDArray w = floats(r, 64, 32);
            INDArray b = floats(r, 32);
            Map<String, Case> first = Map.of("w", new Case(w, cBytes(w), "w"), "b", new Case(b, cBytes(b), "b"));
            Nd4jCheckpoints.commit(repo, "m.safetensors", new TreeMap<>(Map.of("w", w, "b", b)), CommitRequest.of("one"));
            w.muli(0.5f);
            b.putScalar(3, Float.NaN);
            Map<String, Case> second = Map.of("w", new Case(w, cBytes(w), "w"), "b", new Case(b, cBytes(b), "b"));
            Nd4jCheckpoints.commit(repo, "m.safetensors", new TreeMap<>(Map.of("w", w, "b", b)), CommitRequest.of("two"));
            assertSameWeights(first, Nd4jCheckpoints.load(repo, "HEAD~1", "m.safetensors"), "seed " + seed + ", HEAD~1");
            assertSameWeights(second, Nd4jCheckpoints.load(repo, "HEAD", "m.safetensors"), "seed " + seed + ", HEAD");
            assertEquals(List.of("b", "w"), new ArrayList<>(Nd4jCheckpoints.load(repo, "HEAD", "m.safetensors").keySet()),
                    "a TreeMap's order is the file's");
        }
    }

    @Test
    void asyncCommitCopiesTheArraysBeforeItReturns() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        try (Repository repo = Repository.init(dir)) {
            INDArray w = floats(r, 1000);
            byte[] before = cBytes(w);
            var future = Nd4jCheckpoints.commitAsync(repo, "m.safetensors", Map.of("w", w), CommitRequest.of("async"));
            w.assign(42f); // training goes on
            future.join();
            assertArrayEquals(before, cBytes(Nd4jCheckpoints.load(repo, "HEAD", "m.safetensors").get("w")));
        }
    }

    @Test
    void scalarsEmptyArraysAndOneElementKeepTheirShapeAndType() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Map<String, INDArray> weights = new LinkedHashMap<>();
            weights.put("scalar", Nd4j.scalar(DataType.DOUBLE, -0.0));
            weights.put("empty", Nd4j.create(DataType.FLOAT16, 3, 0, 2));
            weights.put("emptyVector", Nd4j.create(DataType.INT64, 0));
            weights.put("one", Nd4j.createFromArray(new int[] {-7}).reshape(1, 1, 1));
            Nd4jCheckpoints.commit(repo, "s.safetensors", weights, CommitRequest.of("shapes"));
            Map<String, INDArray> back = Nd4jCheckpoints.load(repo, "HEAD", "s.safetensors");
            assertEquals(new ArrayList<>(weights.keySet()), new ArrayList<>(back.keySet()));
            for (String k : weights.keySet()) {
                assertEquals(weights.get(k).dataType(), back.get(k).dataType(), k);
                assertArrayEquals(weights.get(k).shape(), back.get(k).shape(), k);
                assertEquals(weights.get(k).rank(), back.get(k).rank(), k);
                assertArrayEquals(cBytes(weights.get(k)), cBytes(back.get(k)), k);
            }
            assertEquals(0x8000000000000000L, Double.doubleToRawLongBits(back.get("scalar").getDouble(0)));
            assertTrue(back.get("empty").isEmpty());
        }
    }

    @Test
    void unsupportedTypesAndNullsAreRefusedNamingTheTensorAndCommitNothing() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            ObjectId head = Nd4jCheckpoints.commit(repo, "m.safetensors", Map.of("w", Nd4j.ones(DataType.FLOAT, 2)), CommitRequest.of("one"));
            Map<String, INDArray> text = new LinkedHashMap<>();
            text.put("w", Nd4j.zeros(DataType.FLOAT, 3));
            text.put("vocab", Nd4j.create("a", "bc"));
            BadInputException e = assertThrows(BadInputException.class,
                    () -> Nd4jCheckpoints.commit(repo, "m.safetensors", text, CommitRequest.of("two")));
            assertTrue(e.getMessage().contains("'vocab'") && e.getMessage().contains("UTF8"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            e = assertThrows(BadInputException.class,
                    () -> Nd4jCheckpoints.commitAsync(repo, "m.safetensors", text, CommitRequest.of("two")));
            assertTrue(e.getMessage().contains("'vocab'"), e.getMessage());

            Map<String, INDArray> nullValue = new HashMap<>();
            nullValue.put("bias", null);
            e = assertThrows(BadInputException.class, () -> Nd4jCheckpoints.commit(repo, "m.safetensors", nullValue, CommitRequest.of("x")));
            assertEquals("tensor 'bias': the array is null", e.getMessage());
            Map<String, INDArray> nullKey = new HashMap<>();
            nullKey.put(null, Nd4j.ones(2));
            e = assertThrows(BadInputException.class, () -> Nd4jCheckpoints.commit(repo, "m.safetensors", nullKey, CommitRequest.of("x")));
            assertTrue(e.getMessage().contains("null"), e.getMessage());
            e = assertThrows(BadInputException.class, () -> Nd4jCheckpoints.commit(repo, "m.safetensors", null, CommitRequest.of("x")));
            assertTrue(e.getMessage().contains("null"), e.getMessage());
            e = assertThrows(BadInputException.class, () -> Nd4jCheckpoints.commit(null, "m.safetensors", Map.of(), CommitRequest.of("x")));
            assertTrue(e.getMessage().startsWith("repo:"), e.getMessage());
            for (DataType t : new DataType[] {DataType.COMPRESSED, DataType.UNKNOWN, DataType.UTF8}) {
                e = assertThrows(BadInputException.class, () -> Nd4jDTypes.toCoral("emb", t));
                assertTrue(e.getMessage().contains("'emb'") && e.getMessage().contains(t.name()), e.getMessage());
            }
            assertEquals(head, repo.headCommit(), "a refused commit leaves HEAD");
            assertEquals(head, repo.resolve("main"));
            assertSameWeights(Map.of("w", new Case(Nd4j.ones(DataType.FLOAT, 2), cBytes(Nd4j.ones(DataType.FLOAT, 2)), "w")),
                    Nd4jCheckpoints.load(repo, "HEAD", "m.safetensors"), "after the refusals");
        }
    }

    @Test
    void everyMappedTypeMapsBothWaysAndCoralTypesNd4jLacksAreRefusedOnLoad() throws IOException {
        for (DataType t : MAPPED) {
            assertEquals(t, Nd4jDTypes.toNd4j("x", Nd4jDTypes.toCoral("x", t)));
        }
        try (Repository repo = Repository.init(dir)) {
            repo.commitTensors("f8.safetensors", List.of(Tensors.of("ok", TensorSpec.of(DType.U8, 2), new byte[] {1, 2}),
                    Tensors.of("fp8", TensorSpec.of(DType.F8_E4M3, 2), new byte[] {1, 2})), Map.of(), CommitRequest.of("f8"));
            BadInputException e = assertThrows(BadInputException.class, () -> Nd4jCheckpoints.load(repo, "HEAD", "f8.safetensors"));
            assertTrue(e.getMessage().contains("'fp8'") && e.getMessage().contains("F8_E4M3"), e.getMessage());
        }
    }

    @Test
    void fortranOrderTensorsLoadAsFortranOrderArrays() throws IOException {
        byte[] bytes = new byte[6 * 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(new int[] {0, 3, 1, 4, 2, 5}); // [[0,1,2],[3,4,5]] in F order
        TensorSource f = Tensors.of("f", new TensorSpec(DType.I32, dev.coral.tensor.Shape.of(2, 3), true), bytes);
        INDArray a = Nd4jTensors.toArrays(List.of(f)).get("f");
        assertEquals('f', a.ordering());
        assertEquals(Nd4j.createFromArray(new int[][] {{0, 1, 2}, {3, 4, 5}}), a);
    }

    // ---------------------------------------------------------------- helpers

    private static void assertSameWeights(Map<String, Case> expected, Map<String, INDArray> actual, String at) {
        assertEquals(expected.keySet(), actual.keySet(), at);
        for (Map.Entry<String, Case> e : expected.entrySet()) {
            INDArray a = actual.get(e.getKey());
            INDArray x = e.getValue().array();
            String what = at + ", tensor " + e.getKey() + " (" + e.getValue().how() + ")";
            assertEquals(x.dataType(), a.dataType(), what);
            assertArrayEquals(x.shape(), a.shape(), what);
            assertEquals('c', a.ordering(), what);
            assertArrayEquals(e.getValue().expected(), cBytes(a), what);
        }
    }

    private static byte[] readAll(TensorSource t) throws IOException {
        try (InputStream in = t.openStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] b = new byte[1 + (int) (t.spec().byteSize() % 13)];
            for (int n; (n = in.read(b)) >= 0; ) {
                out.write(b, 0, n);
            }
            return out.toByteArray();
        }
    }

    private static INDArray floats(SplittableRandom r, long... shape) {
        INDArray a = Nd4j.create(DataType.FLOAT, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, (float) r.nextGaussian());
        }
        return a;
    }

    /** The elements of {@code a} in C order, as bytes, from its buffer, offset and strides (not through ND4J's copy). */
    static byte[] cBytes(INDArray a) {
        int w = a.dataType().width();
        long n = a.length();
        byte[] out = new byte[(int) (a.isEmpty() ? 0 : n * w)];
        if (out.length == 0) {
            return out;
        }
        ByteBuffer buf = a.data().asNio(); // a view's buffer: the whole buffer it is a view of (offset() counts from its start)
        long[] shape = a.shape();
        long[] stride = a.stride();
        long[] idx = new long[shape.length];
        for (int e = 0; e < n; e++) {
            long pos = a.offset();
            for (int d = 0; d < idx.length; d++) {
                pos += idx[d] * stride[d];
            }
            for (int b = 0; b < w; b++) {
                out[e * w + b] = buf.get((int) (pos * w + b));
            }
            for (int d = idx.length - 1; d >= 0; d--) { // next index in C order
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    /** A random array of a mapped type: c or f order, maybe a view of a larger one; its bits random, with the floats' edge cases. */
    static Case randomCase(SplittableRandom r) {
        DataType t = MAPPED[r.nextInt(MAPPED.length)];
        int rank = r.nextInt(5);
        long[] shape = new long[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 2 : 6);
        }
        char order = r.nextBoolean() ? 'c' : 'f';
        int view = rank == 0 ? 0 : r.nextInt(4); // 0: the array itself, 1: a slice, 2: a transpose or permutation, 3: a slice of a permutation
        if (Arrays.stream(shape).anyMatch(d -> d == 0) && view != 2) {
            view = 0; // ND4J cannot slice an empty view out of a larger array ("Length must be >= 0")
        }
        long[] baseShape = shape.clone();
        if (view == 1 || view == 3) {
            for (int d = 0; d < rank; d++) {
                baseShape[d] += r.nextInt(3);
            }
        }
        INDArray base = Nd4j.createUninitializedDetached(t, order, baseShape);
        fill(base, r);
        INDArray a = base;
        String how = t + " " + order + Arrays.toString(baseShape);
        if (view == 2 || view == 3) {
            int[] perm = permutation(r, rank);
            a = a.permute(perm);
            how += " permute" + Arrays.toString(perm);
            if (view == 3) { // permuting baseShape so that the slice below fits
                long[] p = new long[rank];
                long[] s = new long[rank];
                for (int d = 0; d < rank; d++) {
                    p[d] = baseShape[perm[d]];
                    s[d] = shape[perm[d]];
                }
                baseShape = p;
                shape = s;
            }
        }
        if (view == 1 || view == 3) {
            INDArrayIndex[] ix = new INDArrayIndex[rank];
            for (int d = 0; d < rank; d++) {
                long from = baseShape[d] - shape[d] == 0 ? 0 : r.nextInt((int) (baseShape[d] - shape[d] + 1));
                ix[d] = NDArrayIndex.interval(from, from + shape[d]);
            }
            a = a.get(ix);
            how += " slice" + Arrays.toString(ix);
        }
        return new Case(a, cBytes(a), how + " -> " + Arrays.toString(a.shape()) + " " + a.ordering() + (a.isEmpty() ? " empty" : " offset " + a.offset()));
    }

    private static int[] permutation(SplittableRandom r, int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        for (int i = rank - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }

    /** Random bytes into {@code a}'s buffer; floats get NaN payloads, -0.0, infinities and subnormals among them. */
    @SuppressWarnings("deprecation") // HALF: a switch names the enum constant, not its alias FLOAT16
    private static void fill(INDArray a, SplittableRandom r) {
        if (a.isEmpty()) {
            return;
        }
        ByteBuffer b = a.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
        int w = a.dataType().width();
        long n = a.length();
        for (int i = 0; i < n; i++) {
            int at = i * w;
            long bits = r.nextLong();
            int pick = r.nextInt(8);
            switch (a.dataType()) {
                case FLOAT -> b.putInt(at, pick == 0 ? special32(r) : (int) bits);
                case DOUBLE -> b.putLong(at, pick == 0 ? special64(r) : bits);
                case HALF -> b.putShort(at, (short) (pick == 0 ? special16(r, 5) : bits));
                case BFLOAT16 -> b.putShort(at, (short) (pick == 0 ? special16(r, 8) : bits));
                case BOOL -> b.put(at, (byte) r.nextInt(2));
                default -> {
                    for (int k = 0; k < w; k++) {
                        b.put(at + k, (byte) (bits >>> (8 * k)));
                    }
                }
            }
        }
    }

    private static int special32(SplittableRandom r) {
        int[] s = {0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001 | r.nextInt(0x3fffff), 0xffc00000 | r.nextInt(0x3fffff),
            r.nextInt(0x7fffff) + 1, 0x80000000 | (r.nextInt(0x7fffff) + 1)};
        return s[r.nextInt(s.length)];
    }

    private static long special64(SplittableRandom r) {
        long payload = r.nextLong() & 0x000fffffffffffffL;
        long[] s = {0x8000000000000000L, 0x7ff0000000000000L, 0xfff0000000000000L, 0x7ff0000000000000L | Math.max(1, payload),
            0xfff8000000000000L | payload, Math.max(1, payload), 0x8000000000000000L | Math.max(1, payload)};
        return s[r.nextInt(s.length)];
    }

    /** A special 16-bit float with {@code exp} exponent bits (5: half, 8: bfloat16). */
    private static int special16(SplittableRandom r, int exp) {
        int mant = 15 - exp;
        int inf = ((1 << exp) - 1) << mant;
        int payload = 1 + r.nextInt((1 << mant) - 1);
        int[] s = {0x8000, inf, 0x8000 | inf, inf | payload, 0x8000 | inf | payload, payload, 0x8000 | payload};
        return s[r.nextInt(s.length)];
    }
}
