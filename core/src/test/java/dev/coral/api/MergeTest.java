package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.Hdf5Format;
import dev.coral.io.FaultPoints;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Repository#merge}: up to date, fast-forward, a merge commit of files changed on one
 * side each, every strategy for files changed on both (refused by default, ours, theirs, the
 * average and a weighted mean, tensor by tensor against the base), the conflicts a mean cannot
 * settle, a dirty working folder refused, and nothing changed by a refused merge.
 */
class MergeTest {
    @TempDir
    Path dir;

    private static final int N = 300;

    /** A model: tensors U, V, W (F32) and an I32 step counter, from a seed; each tensor drawn from its own seed. */
    private static Map<String, float[]> model(long seed) {
        Random r = new Random(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (String name : List.of("U", "V", "W")) {
            float[] v = new float[N];
            for (int i = 0; i < N; i++) {
                v[i] = (float) r.nextGaussian();
            }
            m.put(name, v);
        }
        return m;
    }

    private static Map<String, float[]> with(Map<String, float[]> m, String name, long seed) {
        Map<String, float[]> out = new LinkedHashMap<>(m);
        float[] v = m.get(name).clone();
        Random r = new Random(seed);
        for (int i = 0; i < N; i++) {
            v[i] += (float) (r.nextGaussian() * 0.01);
        }
        out.put(name, v);
        return out;
    }

    private Path write(String file, Map<String, float[]> m) throws IOException {
        return write(file, m, "safetensors");
    }

    private Path write(String file, Map<String, float[]> m, String format) throws IOException {
        List<TensorSource> tensors = new ArrayList<>();
        for (Map.Entry<String, float[]> e : m.entrySet()) {
            ByteBuffer b = ByteBuffer.allocate(N * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(e.getValue());
            tensors.add(Tensors.of(e.getKey(), TensorSpec.of(DType.F32, N), b));
        }
        Path p = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(p)) {
            WeightFormats.byName(format).orElseThrow().write(tensors, Map.of(), out);
        }
        return p;
    }

    private static float[] floats(Repository repo, String rev, String path, String tensor) throws IOException {
        StoredTensor t = repo.tensor(rev, path, tensor);
        try (InputStream in = t.openStream()) {
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        }
    }

    private static CommitRequest req(String m) {
        return CommitRequest.of(m);
    }

    /** main and exp diverged from one base: exp changed a's V and b; main changed a's U. */
    private record Diverged(Repository repo, ObjectId base, ObjectId main, ObjectId exp, Map<String, float[]> baseA,
                            Map<String, float[]> mainA, Map<String, float[]> expA, byte[] expB) {
    }

    private Diverged diverge(String theirChange, String ourChange) throws IOException {
        Repository repo = Repository.init(dir);
        Map<String, float[]> a = model(1);
        write("a.safetensors", a);
        write("b.safetensors", model(2));
        ObjectId base = repo.commit(req("base"), List.of(dir.resolve("a.safetensors"), dir.resolve("b.safetensors")));
        repo.createBranch("exp", "HEAD");
        repo.switchBranch("exp", false, false);
        Map<String, float[]> expA = with(a, theirChange, 10);
        write("a.safetensors", expA);
        byte[] expB = Files.readAllBytes(write("b.safetensors", with(model(2), "U", 11)));
        ObjectId exp = repo.commit(req("exp"), List.of(dir.resolve("a.safetensors"), dir.resolve("b.safetensors")));
        repo.switchBranch("main", false, false);
        Map<String, float[]> mainA = with(a, ourChange, 20);
        write("a.safetensors", mainA);
        ObjectId main = repo.commit(req("main"), List.of(dir.resolve("a.safetensors")));
        return new Diverged(repo, base, main, exp, a, mainA, expA, expB);
    }

    /**
     * git's rule: an untracked file stops a merge only where the merge would write it. Ours stopped
     * tracking b (kept in the folder), theirs left b as the base had it: b stays deleted, its
     * untracked copy untouched (the check had refused any path of theirs; git fuzz, seed 6588).
     * Where theirs changed b, the merge would write it: refused, nothing changed.
     */
    @Test
    void anUntrackedFileStopsAMergeOnlyWhereTheMergeWritesIt() throws IOException {
        Diverged d = diverge("V", "U"); // exp changed a's V and b; main changed a's U
        try (Repository repo = d.repo()) {
            repo.switchBranch("exp", false, false);
            write("c.safetensors", model(3));
            repo.commit(req("exp adds c"), List.of(dir.resolve("c.safetensors")));
            repo.switchBranch("main", false, false);
            Files.deleteIfExists(dir.resolve("c.safetensors"));
            write("c.safetensors", model(4)); // untracked on main: exp would write c
            BadInputException e = assertThrows(BadInputException.class,
                    () -> repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x")));
            assertTrue(e.getMessage().contains("untracked file c.safetensors would be overwritten"), e.getMessage());
            assertEquals(d.main(), repo.headCommit());
            Files.delete(dir.resolve("c.safetensors"));

            // main stops tracking b, whose copy stays; exp's b is not the base's, so first a branch that kept b as it was
            repo.createBranch("keep", d.base().toString());
            repo.switchBranch("keep", false, false);
            write("d.safetensors", model(5));
            repo.commit(req("keep adds d"), List.of(dir.resolve("d.safetensors")));
            repo.switchBranch("main", false, false);
            byte[] b = Files.readAllBytes(dir.resolve("b.safetensors"));
            repo.remove(List.of(dir.resolve("b.safetensors")), true);
            ObjectId untracked = repo.commit(req("main stops tracking b"));
            MergeResult r = repo.merge("keep", MergeStrategy.NONE, null, false, req("merge keep"));
            assertEquals(MergeResult.Outcome.MERGED, r.outcome());
            assertEquals(List.of("d.safetensors"), r.taken());
            assertEquals(List.of(untracked, repo.resolve("keep")), repo.readCommit(r.commit()).parents());
            assertTrue(!repo.readTree(r.commit()).files().containsKey("b.safetensors"), "b stays deleted");
            assertArrayEquals(b, Files.readAllBytes(dir.resolve("b.safetensors")), "b's untracked copy untouched");
            assertEquals(List.of("b.safetensors"), repo.status().untracked());
        }
    }

    @Test
    void fastForwardAndUpToDate() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            write("m.safetensors", model(1));
            ObjectId one = repo.commit(req("one"), List.of(dir.resolve("m.safetensors")));
            repo.createBranch("exp", "HEAD");
            repo.switchBranch("exp", false, false);
            byte[] two = Files.readAllBytes(write("m.safetensors", with(model(1), "W", 3)));
            ObjectId exp = repo.commit(req("two"), List.of(dir.resolve("m.safetensors")));
            repo.switchBranch("main", false, false);
            assertEquals(one, repo.headCommit());

            MergeResult ff = repo.merge("exp", MergeStrategy.NONE, null, false, req("x"));
            assertEquals(MergeResult.Outcome.FAST_FORWARD, ff.outcome());
            assertEquals(exp, repo.headCommit());
            assertEquals("main", repo.currentBranch());
            assertEquals(List.of("m.safetensors"), ff.taken());
            assertArrayEquals(two, Files.readAllBytes(dir.resolve("m.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());

            MergeResult again = repo.merge("exp", MergeStrategy.NONE, null, false, req("x"));
            assertEquals(MergeResult.Outcome.UP_TO_DATE, again.outcome());
            assertEquals(MergeResult.Outcome.UP_TO_DATE, repo.merge(one.toString(), MergeStrategy.NONE, null, false, req("x")).outcome());
        }
    }

    @Test
    void filesChangedOnOneSideEachAreMergedIntoACommitOfTwoParents() throws IOException {
        Diverged d = diverge("V", "U");
        try (Repository repo = d.repo()) {
            byte[] expB = d.expB();
            byte[] mainA = Files.readAllBytes(dir.resolve("a.safetensors"));
            // a changed on both sides: with no strategy, refused and nothing changed
            BadInputException e = assertThrows(BadInputException.class, () -> repo.merge("exp", MergeStrategy.NONE, null, false, req("x")));
            assertTrue(e.getMessage().contains("a.safetensors") && e.getMessage().contains("--strategy"), e.getMessage());
            assertEquals(d.main(), repo.headCommit());
            assertArrayEquals(mainA, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());

            MergeResult r = repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x"));
            assertEquals(MergeResult.Outcome.MERGED, r.outcome());
            assertEquals(List.of("b.safetensors"), r.taken());
            assertEquals(List.of("a.safetensors"), r.averaged());
            assertEquals(List.of(d.main(), d.exp()), repo.readCommit(r.commit()).parents());
            assertEquals("Merge exp (average)", repo.readCommit(r.commit()).message());
            assertEquals("main", repo.currentBranch());
            assertArrayEquals(expB, Files.readAllBytes(dir.resolve("b.safetensors")), "b changed on exp only: exp's bytes");
            // a: U changed on main only, V on exp only, W on neither: each taken whole; no tensor was averaged
            assertArrayEquals(d.mainA().get("U"), floats(repo, "HEAD", "a.safetensors", "U"));
            assertArrayEquals(d.expA().get("V"), floats(repo, "HEAD", "a.safetensors", "V"));
            assertArrayEquals(d.baseA().get("W"), floats(repo, "HEAD", "a.safetensors", "W"));
            assertTrue(repo.status().isClean(), repo.status().toString());
            assertEquals(d.exp(), repo.resolve("HEAD^2"));
            assertEquals(d.main(), repo.origHead(), "ORIG_HEAD: where the merge started, as git's");
            assertEquals(MergeResult.Outcome.UP_TO_DATE, repo.merge("exp", MergeStrategy.NONE, null, false, req("x")).outcome());

            // the merged branch deleted, gc keeps what the merge commit reaches
            repo.deleteBranch("exp", true);
            repo.gc(false, java.time.Duration.ZERO);
            assertTrue(repo.fsck(false).problems().isEmpty(), repo.fsck(false).toString());
            repo.checkout("HEAD^2", false);
            assertArrayEquals(d.expA().get("V"), floats(repo, "HEAD", "a.safetensors", "V"));
        }
    }

    @Test
    void aTensorChangedOnBothSidesIsAveragedOrWeightedElementByElement() throws IOException {
        Diverged d = diverge("W", "W");
        try (Repository repo = d.repo()) {
            MergeResult r = repo.merge("exp", MergeStrategy.parse("weighted=0.25"), "blend", false, req("x"));
            assertEquals(List.of("a.safetensors"), r.averaged());
            assertEquals("blend", repo.readCommit(r.commit()).message());
            float[] got = floats(repo, "HEAD", "a.safetensors", "W");
            float[] o = d.mainA().get("W");
            float[] t = d.expA().get("W");
            for (int i = 0; i < N; i++) {
                float want = (float) (0.75 * o[i] + 0.25 * t[i]);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "element " + i);
            }
            // the file on disk is what was committed
            try (ParsedWeightFile p = WeightFormats.byName("safetensors").orElseThrow().read(dir.resolve("a.safetensors"))) {
                assertEquals(List.of("U", "V", "W"), p.tensors().stream().map(TensorSource::name).toList());
            }
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    /**
     * A merge whose commit fails puts HEAD's files back; when that fails as well (a full disk: found
     * by the disk-full fuzzer, which saw averaged files beside an unchanged HEAD), its one line names
     * the files that may hold what the merge wrote and how to put HEAD's back.
     */
    @Test
    void aMergeThatFailsPutsTheFilesBackOrSaysWhichItCouldNot() throws IOException {
        Diverged d = diverge("W", "W");
        try (Repository repo = d.repo()) {
            byte[] ourA = Files.readAllBytes(dir.resolve("a.safetensors"));
            byte[] ourB = Files.readAllBytes(dir.resolve("b.safetensors"));
            FaultPoints.install(p -> {
                if (p.equals("commit.storedBeforeLock")) {
                    throw new java.nio.file.FileSystemException(dir.resolve(".coral/packs").toString(), null, "No space left on device");
                }
            });
            try {
                IOException e = assertThrows(IOException.class, () -> repo.merge("exp", MergeStrategy.parse("average"), "m", false, req("x")));
                assertTrue(e.getMessage().contains("No space left on device") && !e.getMessage().contains("putting"), e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            assertEquals(d.main(), repo.headCommit());
            assertArrayEquals(ourA, Files.readAllBytes(dir.resolve("a.safetensors")), "the averaged file was put back");
            assertArrayEquals(ourB, Files.readAllBytes(dir.resolve("b.safetensors")), "theirs' file was put back");
            assertTrue(repo.status().isClean(), repo.status().toString());

            boolean[] full = {false}; // from the commit on: the put-back's first replace fails too
            FaultPoints.install(p -> {
                if (p.equals("commit.storedBeforeLock") || full[0] && p.equals("replace.setAside")) {
                    full[0] = true;
                    throw new java.nio.file.FileSystemException(dir.resolve(".coral/packs").toString(), null, "No space left on device");
                }
            });
            IOException e;
            try {
                e = assertThrows(IOException.class, () -> repo.merge("exp", MergeStrategy.parse("average"), "m", false, req("x")));
            } finally {
                FaultPoints.install(null);
            }
            assertEquals("merge: " + dir.resolve(".coral/packs") + ": No space left on device; putting the working files back failed too ("
                    + dir.resolve(".coral/packs") + ": No space left on device): a.safetensors, b.safetensors may hold what the merge"
                    + " wrote; 'coral reset --hard' puts back HEAD's once that is mended", e.getMessage());
            assertEquals(d.main(), repo.headCommit(), "the branch did not move");
            repo.reset("HEAD", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertArrayEquals(ourA, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertArrayEquals(ourB, Files.readAllBytes(dir.resolve("b.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void theAverageOfTwoFloatsIsTheirMeanRoundedAndEqualBitsStayAsTheyAre() throws IOException {
        Diverged d = diverge("W", "W");
        try (Repository repo = d.repo()) {
            repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x"));
            float[] got = floats(repo, "HEAD", "a.safetensors", "W");
            for (int i = 0; i < N; i++) {
                float want = (float) (((double) d.mainA().get("W")[i] + d.expA().get("W")[i]) / 2);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "element " + i);
            }
        }
    }

    @Test
    void oursAndTheirsTakeOneSideOfWhatBothChanged() throws IOException {
        Diverged d = diverge("W", "W");
        try (Repository repo = d.repo()) {
            byte[] ours = Files.readAllBytes(dir.resolve("a.safetensors"));
            repo.merge("exp", MergeStrategy.parse("ours"), null, false, req("x"));
            assertArrayEquals(ours, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertArrayEquals(d.expA().get("W"), floats(repo, "exp", "a.safetensors", "W"));
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            repo.merge("exp", MergeStrategy.parse("theirs"), null, false, req("x"));
            assertArrayEquals(d.expA().get("W"), floats(repo, "HEAD", "a.safetensors", "W"));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void whatAMeanCannotSettleIsRefusedAndNothingChanges() throws IOException {
        Diverged d = diverge("W", "W");
        try (Repository repo = d.repo()) {
            // main changes a's shape too: the same tensors no more
            Map<String, float[]> other = new LinkedHashMap<>(d.mainA());
            other.put("X", new float[N]);
            write("a.safetensors", other);
            ObjectId main = repo.commit(req("add X"), List.of(dir.resolve("a.safetensors")));
            byte[] before = Files.readAllBytes(dir.resolve("a.safetensors"));
            BadInputException e = assertThrows(BadInputException.class,
                    () -> repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x")));
            assertTrue(e.getMessage().contains("a.safetensors") && e.getMessage().contains("tensors added or removed"), e.getMessage());
            assertEquals(main, repo.headCommit());
            assertArrayEquals(before, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());

            // deleted on one side, changed on the other
            repo.remove(List.of(dir.resolve("a.safetensors")), false);
            repo.commit(req("rm a"));
            e = assertThrows(BadInputException.class, () -> repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x")));
            assertTrue(e.getMessage().contains("deleted on one side"), e.getMessage());
            // theirs takes exp's a back
            repo.merge("exp", MergeStrategy.parse("theirs"), null, false, req("x"));
            assertArrayEquals(d.expA().get("W"), floats(repo, "HEAD", "a.safetensors", "W"));
        }
    }

    @Test
    void integerTensorsChangedOnBothSidesAreAConflictAndADirtyFolderIsRefused() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path step = dir.resolve("step.npy");
            writeI32(step, 1);
            repo.commit(req("one"), List.of(step));
            repo.createBranch("exp", "HEAD");
            repo.switchBranch("exp", false, false);
            writeI32(step, 2);
            repo.commit(req("exp"), List.of(step));
            repo.switchBranch("main", false, false);
            writeI32(step, 3);
            repo.commit(req("main"), List.of(step));
            BadInputException e = assertThrows(BadInputException.class,
                    () -> repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x")));
            assertTrue(e.getMessage().contains("only float tensors are averaged"), e.getMessage());

            writeI32(step, 4); // a local change
            e = assertThrows(BadInputException.class, () -> repo.merge("exp", MergeStrategy.parse("theirs"), null, false, req("x")));
            assertTrue(e.getMessage().contains("working folder has changes") && e.getMessage().contains("step.npy"), e.getMessage());
        }
    }

    private static void writeI32(Path p, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
        try (OutputStream out = Files.newOutputStream(p)) {
            WeightFormats.byName("npy").orElseThrow().write(List.of(Tensors.of("array", TensorSpec.of(DType.I32, 1), b)), Map.of(), out);
        }
    }

    @Test
    void anH5FileIsAveragedInItsOwnLayout() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Map<String, float[]> a = model(5);
            write("m.h5", a, "hdf5");
            repo.commit(req("base"), List.of(dir.resolve("m.h5")));
            repo.createBranch("exp", "HEAD");
            repo.switchBranch("exp", false, false);
            Map<String, float[]> exp = with(a, "U", 6);
            write("m.h5", exp, "hdf5");
            repo.commit(req("exp"), List.of(dir.resolve("m.h5")));
            repo.switchBranch("main", false, false);
            Map<String, float[]> main = with(a, "U", 7);
            write("m.h5", main, "hdf5");
            repo.commit(req("main"), List.of(dir.resolve("m.h5")));
            repo.merge("exp", MergeStrategy.parse("average"), null, false, req("x"));
            try (ParsedWeightFile p = new Hdf5Format().read(dir.resolve("m.h5"))) {
                assertEquals(3, p.tensors().size());
                ByteBuffer b;
                try (InputStream in = p.tensors().get(0).openStream()) {
                    b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                }
                for (int i = 0; i < N; i++) {
                    float want = (float) (((double) main.get("U")[i] + exp.get("U")[i]) / 2);
                    assertEquals(want, b.getFloat(4 * i), "U element " + i);
                }
            }
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void strategiesParseAndRefuseWhatTheyDoNotKnow() throws BadInputException {
        assertEquals(new MergeStrategy(MergeStrategy.Kind.MEAN, 0.5), MergeStrategy.parse("average"));
        assertEquals(new MergeStrategy(MergeStrategy.Kind.MEAN, 0.3), MergeStrategy.parse("weighted=0.3"));
        assertEquals("weighted=0.3", MergeStrategy.parse("weighted=0.3").toString());
        for (String bad : new String[] {"", "mean", "weighted=", "weighted=1.5", "weighted=-0.1", "weighted=NaN", "weighted=0.5d", "OURS"}) {
            assertThrows(BadInputException.class, () -> MergeStrategy.parse(bad), bad);
        }
    }
}
