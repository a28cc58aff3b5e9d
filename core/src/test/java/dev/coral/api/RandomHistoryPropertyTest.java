package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.TensorSource;
import dev.coral.maintenance.FsckReport;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.tensor.DType;
import dev.coral.tensor.ElementValues;
import dev.coral.tensor.FloatElements;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: whatever a history holds and however it is stored, every commit reads back bit-exact.
 * A seeded session (the seed in every failure) picks the repository's settings (chunk size, chain
 * depth and run, context coding, zigzag deltas, chunk cache on or off, the memory of recent chunks
 * as sized or smaller than the model), then commits a model of a
 * few files (safetensors of floats, integers, complex64 and fp8; an npy; an HDF5) step by step, as
 * training changes them and more: most tensors moved a little (floats scaled by 1 + ε, 16-bit
 * floats and integers nudged in their bit patterns), some left alone, some rewritten at random,
 * some given NaN payloads, ±0, ±inf and subnormals, resized, retyped, renamed, copied from another
 * file, added and dropped. Now and then the head file is committed from memory, as a training loop
 * commits ({@code commitTensors}, {@code commitTensorsAsync}), and a step lossy (within 1e-3): the
 * lossless steps after it must still read back bit-exact. Between steps the session reopens the
 * repository (a new process's view), repacks, collects garbage, turns zigzag deltas or context
 * coding on or off, and checks out earlier commits, from the files at hand or with the files
 * deleted first, comparing every file with the bytes committed, every tensor's stored bytes with
 * the tensor given, and a file exported as safetensors with its tensors. At the end every commit
 * is checked out again in a random order and fsck finds no problem.
 */
class RandomHistoryPropertyTest {
    private static final DType[] SAFETENSORS_TYPES = {DType.F32, DType.F32, DType.F32, DType.BF16, DType.BF16, DType.F16,
        DType.F64, DType.I32, DType.I16, DType.U8, DType.I64, DType.C64, DType.F8_E4M3, DType.U16, DType.I8, DType.U64};
    private static final DType[] NUMPY_TYPES = {DType.F32, DType.F16, DType.F64, DType.I32};
    private static final DType[] HDF5_TYPES = {DType.F32, DType.F64, DType.I32, DType.I16};

    /**
     * Seeds from a random start, six unless {@code -Dcoral.historySeeds=N}
     * asks for more (a longer search: {@code mvn -pl core test -Dtest=RandomHistoryPropertyTest
     * -Dcoral.historySeeds=500}), and fixed ones.
     */
    static List<Long> seeds() {
        List<Long> s = new ArrayList<>(TestModels.randomSeeds(Integer.getInteger("coral.historySeeds", 6)));
        s.add(1L);
        s.add(20261206L);
        return s;
    }

    /** One tensor of the model: its name, dtype, dims and little-endian bytes. */
    private record Tensor(String name, DType dtype, long[] dims, byte[] data) {
        TensorSource source() {
            return Tensors.of(name, TensorSpec.of(dtype, dims), data);
        }
    }

    /** A file of the model: its path, its format, and its tensors in order. */
    private record ModelFile(String path, String format, List<Tensor> tensors) {
    }

    /** A commit: its id, what each file held, and the error bound it was stored within (0: lossless). */
    private record Snapshot(String id, Map<String, byte[]> files, Map<String, List<Tensor>> tensors, double eps) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyCommitReadsBackBitExact(long seed, @org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        try {
            session(seed, dir);
        } catch (IOException | RuntimeException | AssertionError e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    private static void session(long seed, Path dir) throws IOException {
        Random r = new Random(seed);
        int chunk = new int[] {256, 1024, 4096, 65536}[r.nextInt(4)];
        int depth = 1 + r.nextInt(20);
        int run = 1 + r.nextInt(Math.min(depth, 8));
        RepositoryConfig config = RepositoryConfig.defaults().withChunkBytes(chunk).withMaxChainDepth(depth).withDeltaRun(run)
                .withContextCoding(r.nextInt(4) != 0).withZigzagDeltas(r.nextInt(4) != 0)
                .withCacheBytes(new long[] {0, 64 << 10, 1L << 30}[r.nextInt(3)]);
        // drawn apart, so that the other choices of a seed stay what they were before it came
        long recentBudget = new long[] {0, 16 << 10, 256 << 10}[new Random(seed ^ 0x5EEDL).nextInt(3)];
        Path root = dir.resolve("repo");
        List<ModelFile> model = newModel(r);
        List<Snapshot> history = new ArrayList<>();
        int steps = 10 + r.nextInt(10);
        Repository repo = limited(Repository.init(root, config), recentBudget);
        try {
            for (int step = 0; step < steps; step++) {
                if (step > 0) {
                    evolve(model, r);
                }
                Map<String, byte[]> files = writeFiles(root, model);
                Snapshot last = history.isEmpty() ? null : history.get(history.size() - 1);
                List<String> changed = files.keySet().stream()
                        .filter(p -> last == null || !Arrays.equals(files.get(p), last.files().get(p))).toList();
                // after a lossy commit every file is committed again: one unchanged since may be stored other than it is
                List<String> toCommit = last != null && last.eps() > 0 ? List.copyOf(files.keySet()) : changed;
                double eps = r.nextInt(10) == 0 ? 1e-3 : 0;
                String id = null;
                ModelFile head = model.get(1);
                if (eps == 0 && changed.contains(head.path()) && r.nextInt(4) == 0) {
                    // the head from memory, as a training loop commits it: its file is Coral's writer's, as the test's
                    List<TensorSource> sources = head.tensors().stream().map(Tensor::source).toList();
                    CommitRequest request = CommitRequest.of("step " + step + " head");
                    id = (r.nextBoolean() ? repo.commitTensors(head.path(), sources, Map.of(), request)
                            : repo.commitTensorsAsync(head.path(), sources, Map.of(), request).join()).toString();
                    toCommit = toCommit.stream().filter(p -> !p.equals(head.path())).toList();
                }
                if (!toCommit.isEmpty() || id == null) {
                    List<String> attempted = toCommit.isEmpty() ? List.copyOf(files.keySet()) : toCommit;
                    try {
                        CommitRequest request = CommitRequest.of("step " + step);
                        id = repo.commit(eps > 0 ? request.withLossy("1e-3") : request, attempted.stream().map(root::resolve).toList())
                                .toString();
                    } catch (dev.coral.error.BadInputException e) {
                        // refused, as git's, when none of them changed (a lossy commit stores an unchanged tensor as it is)
                        assertTrue(e.getMessage().startsWith("nothing to commit") && attempted.stream().noneMatch(changed::contains),
                                () -> e.getMessage() + " (step " + history.size() + ", changed " + changed + ")");
                        if (id == null) {
                            continue;
                        }
                    }
                }
                history.add(new Snapshot(id, files, tensorsOf(model), eps));
                repo = limited(between(repo, root, r, history), recentBudget);
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < history.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, r);
            for (int i : order) {
                checkOut(repo, root, history.get(i), r.nextBoolean());
            }
            // back through the history newest first, as a user looking for the best checkpoint: each step back
            // has the next one read ahead (VersionsAhead), which the next checkout finds, waits for, or reads itself
            for (int i = history.size() - 1; i >= 0; i--) {
                checkOut(repo, root, history.get(i), false);
            }
            FsckReport fsck = repo.fsck(false);
            assertTrue(fsck.problems().isEmpty(), () -> "fsck: " + fsck.problems());
        } finally {
            repo.close();
        }
    }

    /**
     * The handle with its memory of recent chunks limited to {@code bytes} (0: as sized for the
     * heap): chunks larger than a quarter of it are never held, and the rest are evicted and
     * written to the chunk cache as they leave, as in a training loop of a model larger than an
     * eighth of the heap.
     */
    private static Repository limited(Repository repo, long bytes) {
        if (bytes > 0) {
            dev.coral.store.RecentChunksLimit.set(repo.store(), bytes);
        }
        return repo;
    }

    /** What may happen between two commits; returns the handle to go on with. */
    private static Repository between(Repository repo, Path root, Random r, List<Snapshot> history) throws IOException {
        if (r.nextInt(5) == 0) {
            repo.close();
            repo = Repository.open(root);
        }
        if (r.nextInt(8) == 0) {
            repo.setConfig("codec.zigzag", String.valueOf(r.nextBoolean()));
        }
        if (r.nextInt(10) == 0) {
            repo.setConfig("codec.contexts", String.valueOf(r.nextBoolean()));
        }
        if (r.nextInt(8) == 0) {
            repo.repack();
        }
        if (r.nextInt(10) == 0) {
            repo.gc(false, Duration.ZERO);
        }
        if (r.nextInt(3) == 0) {
            Snapshot s = history.get(r.nextInt(history.size()));
            checkOut(repo, root, s, r.nextInt(3) == 0);
            if (r.nextBoolean()) {
                checkTensors(repo, s);
            }
            if (r.nextBoolean() && s.eps() == 0) {
                exportAsSafetensors(repo, root, s, r);
            }
            Snapshot newest = history.get(history.size() - 1);
            repo.checkout("main", true);
            assertFiles(repo, root, newest, "main");
        }
        return repo;
    }

    private static void checkOut(Repository repo, Path root, Snapshot s, boolean deleteFirst) throws IOException {
        if (deleteFirst) {
            for (String p : s.files().keySet()) {
                Files.deleteIfExists(root.resolve(p));
            }
        }
        repo.checkout(s.id(), true);
        assertFiles(repo, root, s, s.id() + (deleteFirst ? " (files deleted first)" : " (from the files at hand)"));
    }

    /** One file of {@code s} exported as safetensors (decoded from the store, whatever its format): its tensors as committed. */
    private static void exportAsSafetensors(Repository repo, Path root, Snapshot s, Random r) throws IOException {
        List<String> paths = List.copyOf(s.tensors().keySet());
        String path = paths.get(r.nextInt(paths.size()));
        Path out = root.resolveSibling("export.safetensors");
        repo.export(s.id(), path, out, null);
        Map<String, byte[]> got = new TreeMap<>();
        try (dev.coral.format.ParsedWeightFile f = dev.coral.format.WeightFormats.byName("safetensors").orElseThrow().read(out)) {
            for (TensorSource t : f.tensors()) {
                try (InputStream in = t.openStream()) {
                    got.put(t.name(), in.readAllBytes());
                }
            }
        }
        Map<String, byte[]> want = new TreeMap<>();
        for (Tensor t : s.tensors().get(path)) {
            want.put(t.name(), t.data());
        }
        assertEquals(want.keySet(), got.keySet(), "export of " + s.id() + ":" + path);
        for (String name : want.keySet()) {
            assertArrayEquals(want.get(name), got.get(name), "export of " + s.id() + ":" + path + ": " + name);
        }
    }

    /** The files of {@code s} as committed; a lossy commit's tensors, within its bound, instead. */
    private static void assertFiles(Repository repo, Path root, Snapshot s, String what) throws IOException {
        if (s.eps() > 0) {
            checkTensors(repo, s);
            return;
        }
        for (Map.Entry<String, byte[]> f : s.files().entrySet()) {
            assertArrayEquals(f.getValue(), Files.readAllBytes(root.resolve(f.getKey())), "checkout of " + what + ": " + f.getKey());
        }
    }

    /** Every tensor of each file of {@code s} as stored, by name (an HDF5 file lists its datasets by name). */
    private static void checkTensors(Repository repo, Snapshot s) throws IOException {
        for (Map.Entry<String, List<Tensor>> f : s.tensors().entrySet()) {
            String where = s.id() + ":" + f.getKey();
            Map<String, StoredTensor> stored = new TreeMap<>();
            for (StoredTensor st : repo.tensors(s.id(), f.getKey())) {
                stored.put(st.name(), st);
            }
            assertEquals(f.getValue().stream().map(Tensor::name).sorted().toList(), List.copyOf(stored.keySet()), where);
            for (Tensor t : f.getValue()) {
                StoredTensor st = stored.get(t.name());
                assertEquals(t.dtype(), st.spec().dtype(), where + ":" + t.name());
                byte[] got;
                try (InputStream in = st.openVerifiedStream()) {
                    got = in.readAllBytes();
                }
                if (s.eps() == 0) {
                    assertArrayEquals(t.data(), got, where + ":" + t.name());
                } else {
                    assertWithin(t, got, s.eps(), where + ":" + t.name());
                }
            }
        }
    }

    /** A lossy commit's tensor: float elements within eps of the given ones (non-finite ones as given), others as given. */
    private static void assertWithin(Tensor t, byte[] got, double eps, String where) {
        assertEquals(t.data().length, got.length, where);
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
            assertArrayEquals(t.data(), got, where + " (not a float dtype: stored as given)");
            return;
        }
        int width = width(t.dtype());
        for (int i = 0; i < got.length / width; i++) {
            double w = ElementValues.toDouble(t.dtype(), t.data(), i * width);
            double h = ElementValues.toDouble(t.dtype(), got, i * width);
            if (Double.isFinite(w)) {
                assertTrue(Math.abs(h - w) <= eps, where + ": element " + i + " " + h + " is not within " + eps + " of " + w);
            } else {
                assertTrue(Double.compare(w, h) == 0 || Double.isNaN(w) && Double.isNaN(h), where + ": element " + i + " " + h + " for " + w);
            }
        }
    }

    private static Map<String, List<Tensor>> tensorsOf(List<ModelFile> model) {
        Map<String, List<Tensor>> m = new TreeMap<>();
        for (ModelFile f : model) {
            m.put(f.path(), List.copyOf(f.tensors()));
        }
        return m;
    }

    private static Map<String, byte[]> writeFiles(Path root, List<ModelFile> model) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ModelFile f : model) {
            Path p = root.resolve(f.path());
            List<TensorSource> sources = f.tensors().stream().map(Tensor::source).toList();
            switch (f.format()) {
                case "npy" -> TestModels.writeNpy(p, sources.get(0));
                case "hdf5" -> TestModels.writeHdf5(p, sources);
                default -> TestModels.writeSafetensors(p, sources);
            }
            out.put(f.path(), Files.readAllBytes(p));
        }
        return out;
    }

    private static List<ModelFile> newModel(Random r) {
        List<ModelFile> model = new ArrayList<>();
        List<Tensor> a = new ArrayList<>();
        for (int i = 0; i < 2 + r.nextInt(4); i++) {
            a.add(newTensor(r, "layer" + i + ".weight", SAFETENSORS_TYPES));
        }
        model.add(new ModelFile("model.safetensors", "safetensors", a));
        List<Tensor> b = new ArrayList<>();
        for (int i = 0; i < 1 + r.nextInt(3); i++) {
            b.add(newTensor(r, "head" + i, SAFETENSORS_TYPES));
        }
        model.add(new ModelFile("sub/head.safetensors", "safetensors", b));
        model.add(new ModelFile("embedding.npy", "npy", new ArrayList<>(List.of(newTensor(r, "array", NUMPY_TYPES)))));
        if (r.nextBoolean()) {
            List<Tensor> h = new ArrayList<>();
            for (int i = 0; i < 1 + r.nextInt(3); i++) {
                h.add(newTensor(r, "dense" + i, HDF5_TYPES));
            }
            model.add(new ModelFile("keras/model.h5", "hdf5", h));
        }
        return model;
    }

    private static DType[] typesOf(ModelFile f) {
        return switch (f.format()) {
            case "npy" -> NUMPY_TYPES;
            case "hdf5" -> HDF5_TYPES;
            default -> SAFETENSORS_TYPES;
        };
    }

    /** A tensor of a random dtype and shape (empty and scalar ones too), with weight-like values. */
    private static Tensor newTensor(Random r, String name, DType[] types) {
        DType t = types[r.nextInt(types.length)];
        long[] dims = switch (r.nextInt(8)) {
            case 0 -> new long[0];
            case 1 -> new long[] {r.nextInt(3)};
            case 2, 3 -> new long[] {1 + r.nextInt(4000)};
            default -> new long[] {1 + r.nextInt(64), 1 + r.nextInt(96)};
        };
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return new Tensor(name, t, dims, initial(r, t, (int) n));
    }

    private static byte[] initial(Random r, DType t, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * width(t)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double w = r.nextGaussian() * 0.05;
            switch (t) {
                case F32 -> b.putFloat((float) w);
                case F64 -> b.putDouble(w);
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) w) >>> 16));
                case F16 -> b.putShort((short) FloatElements.doubleToHalf(w));
                case I64 -> b.putLong(r.nextLong() >> r.nextInt(64));
                case I32 -> b.putInt(r.nextInt(2001) - 1000);
                case I16 -> b.putShort((short) r.nextInt());
                case U8 -> b.put((byte) r.nextInt(256));
                case C64 -> b.putFloat((float) w).putFloat((float) (r.nextGaussian() * 0.05));
                default -> { // the other integer and 8-bit float types: any bits
                    byte[] e = new byte[width(t)];
                    r.nextBytes(e);
                    b.put(e);
                }
            }
        }
        return b.array();
    }

    private static int width(DType t) {
        return t.bits() / 8;
    }

    /** One step of the model: each tensor changed as training or editing changes it. */
    private static void evolve(List<ModelFile> model, Random r) {
        for (ModelFile f : model) {
            List<Tensor> ts = f.tensors();
            for (int i = 0; i < ts.size(); i++) {
                ts.set(i, evolve(ts.get(i), r, typesOf(f)));
            }
            if (!f.format().equals("npy")) {
                int kind = r.nextInt(12);
                if (kind == 0 && ts.size() < 6) {
                    ts.add(newTensor(r, "added" + r.nextInt(1000), typesOf(f)));
                } else if (kind == 1 && ts.size() > 1) {
                    ts.remove(r.nextInt(ts.size()));
                } else if (kind == 2) { // renamed: only its content links it to the last version
                    int k = r.nextInt(ts.size());
                    Tensor t = ts.get(k);
                    ts.set(k, new Tensor("renamed" + r.nextInt(1000) + "." + t.name(), t.dtype(), t.dims(), t.data()));
                }
            }
        }
        if (r.nextInt(6) == 0) { // a copy of a tensor of another file (a shared or tied weight)
            ModelFile from = model.get(r.nextInt(model.size()));
            ModelFile to = model.get(0);
            Tensor t = from.tensors().get(r.nextInt(from.tensors().size()));
            if (java.util.Arrays.asList(typesOf(to)).contains(t.dtype()) && to.tensors().stream().noneMatch(x -> x.name().equals("tied"))) {
                to.tensors().add(new Tensor("tied", t.dtype(), t.dims(), t.data().clone()));
            }
        }
        for (ModelFile f : model) { // names stay unique within a file
            java.util.Set<String> seen = new java.util.HashSet<>();
            f.tensors().removeIf(t -> !seen.add(t.name()));
        }
    }

    private static Tensor evolve(Tensor t, Random r, DType[] types) {
        int kind = r.nextInt(100);
        if (kind < 15) {
            return t; // frozen
        }
        if (kind < 20) {
            return new Tensor(t.name(), t.dtype(), t.dims(), random(r, t.data().length));
        }
        if (kind < 24) {
            Tensor n = newTensor(r, t.name(), new DType[] {t.dtype()}); // resized
            return n;
        }
        if (kind < 27) {
            return newTensor(r, t.name(), types); // retyped
        }
        byte[] d = t.data().clone();
        int n = d.length / width(t.dtype());
        double fraction = r.nextInt(4) == 0 ? r.nextDouble() : 1;
        double eps = Math.pow(10, -2 - 4 * r.nextDouble());
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() >= fraction) {
                continue;
            }
            switch (t.dtype()) {
                case F32 -> b.putFloat(4 * i, (float) (b.getFloat(4 * i) * (1 + eps * r.nextGaussian())));
                case F64 -> b.putDouble(8 * i, b.getDouble(8 * i) * (1 + eps * r.nextGaussian()));
                case BF16, F16, I16 -> b.putShort(2 * i, (short) (b.getShort(2 * i) + r.nextInt(9) - 4));
                case I32 -> b.putInt(4 * i, b.getInt(4 * i) + r.nextInt(9) - 4);
                case I64 -> b.putLong(8 * i, b.getLong(8 * i) + r.nextInt(9) - 4);
                case U8, I8, F8_E4M3 -> b.put(i, (byte) (b.get(i) + r.nextInt(3) - 1));
                case U16 -> b.putShort(2 * i, (short) (b.getShort(2 * i) + r.nextInt(9) - 4));
                case U64 -> b.putLong(8 * i, b.getLong(8 * i) + r.nextInt(9) - 4);
                case C64 -> {
                    b.putFloat(8 * i, (float) (b.getFloat(8 * i) * (1 + eps * r.nextGaussian())));
                    b.putFloat(8 * i + 4, (float) (b.getFloat(8 * i + 4) * (1 + eps * r.nextGaussian())));
                }
                default -> throw new IllegalArgumentException(t.dtype().toString());
            }
        }
        if (kind < 32 && n > 0) {
            special(b, t.dtype(), n, r);
        }
        return new Tensor(t.name(), t.dtype(), t.dims(), d);
    }

    /** NaN payloads, ±0, ±inf, subnormals and extremes written over a few elements. */
    private static void special(ByteBuffer b, DType t, int n, Random r) {
        for (int k = 0; k < 1 + r.nextInt(8); k++) {
            int i = r.nextInt(n);
            int which = r.nextInt(6);
            switch (t) {
                case F32 -> b.putInt(4 * i, new int[] {0x7FC00000 | r.nextInt(1 << 22), 0x80000000, 0x7F800000, 0xFF800000,
                    1 + r.nextInt(0x7FFFFF), 0x7F7FFFFF}[which]);
                case F64 -> b.putLong(8 * i, new long[] {0x7FF8000000000001L ^ r.nextLong() >>> 13, 0x8000000000000000L,
                    0x7FF0000000000000L, 0xFFF0000000000000L, 1L + (r.nextLong() >>> 13), 0x7FEFFFFFFFFFFFFFL}[which]);
                case BF16 -> b.putShort(2 * i, (short) new int[] {0x7FC1 + r.nextInt(60), 0x8000, 0x7F80, 0xFF80, 1 + r.nextInt(0x7F),
                    0x7F7F}[which]);
                case F16 -> b.putShort(2 * i, (short) new int[] {0x7E01 + r.nextInt(500), 0x8000, 0x7C00, 0xFC00, 1 + r.nextInt(0x3FF),
                    0x7BFF}[which]);
                case I16 -> b.putShort(2 * i, which % 2 == 0 ? Short.MIN_VALUE : Short.MAX_VALUE);
                case I32 -> b.putInt(4 * i, which % 2 == 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE);
                case I64 -> b.putLong(8 * i, which % 2 == 0 ? Long.MIN_VALUE : Long.MAX_VALUE);
                case U8, I8, F8_E4M3 -> b.put(i, (byte) (which % 2 == 0 ? 0x7F : 0xFF));
                case U16 -> b.putShort(2 * i, (short) (which % 2 == 0 ? 0 : 0xFFFF));
                case U64, C64 -> b.putLong(8 * i, which % 2 == 0 ? 0x7FC000017FC00001L : -1L);
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
