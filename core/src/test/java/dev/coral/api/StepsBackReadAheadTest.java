package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.ChunkRef;
import dev.coral.repo.FileEntry;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.RecentChunksLimit;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A handle whose checkouts (or reads of a file's tensors) step back through a history (each the
 * first parent of the one before) has the next step's version read ahead while the user works on
 * the one checked out,
 * where reading it then would decode several deltas: across a run boundary of the chain layout.
 * Runs of 2 here, six versions: v5's base is v4, v4's the keyframe v0, v3's v2, v2's v0. So
 * main~2 (v3) is not on main~1's (v4's) chain, and main~3 (v2) is one delta below main~2.
 */
class StepsBackReadAheadTest {
    private static final int STEPS = 6;
    private static final String FILE = "model.safetensors";

    @TempDir
    Path dir;

    private List<byte[]> commitHistory(Path root, DType dtype) throws IOException {
        return commitHistory(root, dtype, RepositoryConfig.defaults().withCacheBytes(0).withDeltaRun(2)); // no chunk cache: reads go down the chains
    }

    private List<byte[]> commitHistory(Path root, DType dtype, RepositoryConfig config) throws IOException {
        List<byte[]> steps = new ArrayList<>();
        for (byte[] s : ContextCodingTest.adamSteps(7).subList(0, STEPS)) {
            steps.add(dtype == DType.BF16 ? ZigzagDeltasTest.bf16(s) : s);
        }
        try (Repository repo = Repository.init(root, config)) {
            for (int s = 0; s < STEPS; s++) {
                repo.commitTensors(FILE, List.of(Tensors.of("w", TensorSpec.of(dtype, steps.get(s).length / dtype.elementBytes()), steps.get(s))),
                        Map.of(), CommitRequest.of("step " + s));
            }
        }
        return steps;
    }

    private void checkOut(Repository repo, int depth, List<byte[]> steps) throws IOException {
        repo.checkout("main~" + depth, true);
        assertFileIs(steps, depth);
    }

    /** Whether the working file holds the commit {@code depth} steps below the newest. */
    private void assertFileIs(List<byte[]> steps, int depth) throws IOException {
        byte[] file = Files.readAllBytes(dir.resolve("r").resolve(FILE));
        byte[] step = steps.get(steps.size() - 1 - depth);
        assertArrayEquals(step, Arrays.copyOfRange(file, file.length - step.length, file.length), "main~" + depth); // the tensor's data ends the file
    }

    /** Whether every chunk of the file in {@code rev} is held in memory (found without reading its tensors, which is a load). */
    private static boolean held(Repository repo, String rev) throws IOException {
        for (FileEntry.NamedTensor t : repo.fileAt(rev, FILE).tensors()) {
            for (ChunkRef c : repo.graph().tensor(t.tensorId()).chunks()) {
                if (!RecentChunksLimit.holds(repo.store(), c.id())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static byte[] load(Repository repo, int depth) throws IOException {
        try (InputStream in = repo.tensor("main~" + depth, FILE, "w").openStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void stepsBackAcrossARunBoundaryFindTheNextVersionReadAhead() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.F32);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            repo.checkout("main", true);
            checkOut(repo, 1, steps);
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2: its chain is not main~1's");
            assertTrue(held(repo, "main~2"));
            long fromHand = repo.store().readsFromHand();
            checkOut(repo, 2, steps);
            assertEquals(fromHand, repo.store().readsFromHand(), "main~2 was served from memory, not decoded from the file at hand");
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()),
                    "main~3: kept on the way to main~2 (these weights span decades: plane 0 is context-coded, not undone), not read ahead");
            checkOut(repo, 3, steps);
            checkOut(repo, 4, steps);
            checkOut(repo, 5, steps);
        }
    }

    /**
     * {@code count} BF16 steps of an Adam-like walk (each weight moved by about 1e-3 either way),
     * committed with runs of {@code run}: the steps back inside a run find their versions kept
     * along the chain (zigzag deltas are not undone).
     */
    private List<byte[]> commitBf16Walk(Path root, int count, int run) throws IOException {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        float[] w = new float[1 << 15];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.1);
        }
        List<byte[]> steps = new ArrayList<>();
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults().withCacheBytes(0).withDeltaRun(run))) {
            for (int s = 0; s < count; s++) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * w.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < w.length; i++) {
                    w[i] -= (float) (1e-3 * (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble()));
                    b.putFloat(w[i]);
                }
                byte[] step = ZigzagDeltasTest.bf16(b.array());
                steps.add(step);
                repo.commitTensors(FILE, List.of(Tensors.of("w", TensorSpec.of(DType.BF16, step.length / 2), step)), Map.of(),
                        CommitRequest.of("step " + s));
            }
        }
        return steps;
    }

    /**
     * Nine BF16 versions in runs of 3: v8's base is v7, v7's v6, v6's the keyframe v0; v5's v4, v4's
     * v3, v3's v0. Checking out main~1 (v7) keeps v6 and v0 on the way; the next step back, main~2,
     * is held, so main~3 (v5, three links: v4, v3 and the held v0) is read ahead, a step further
     * than the next, while the user is still at main~1. (Read ahead only the next version, a script
     * stepping back with little work between checkouts found the step into each run decoded the run:
     * BF16, 32 steps, 100 ms between them, 575-648 MB/s against 874-925 read ahead past the
     * versions held, perf StepBackProbe.)
     */
    @Test
    void aStepBackPastVersionsHeldReadsAheadTheFirstThatIsNot() throws Exception {
        List<byte[]> steps = commitBf16Walk(dir.resolve("r"), 9, 3);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            repo.checkout("main", true);
            checkOut(repo, 1, steps);
            long ahead = RecentChunksLimit.readAheadWhenIdle(repo.store());
            assertTrue(held(repo, "main~2"), "v6, kept on the way to v7");
            assertEquals(1, ahead, "one chunk read ahead");
            assertTrue(held(repo, "main~3"), "v5, past the version held");
            checkOut(repo, 2, steps);
            long fromHand = repo.store().readsFromHand();
            checkOut(repo, 3, steps);
            assertEquals(fromHand, repo.store().readsFromHand(), "main~3 served from memory");
            for (int d = 4; d < steps.size(); d++) {
                checkOut(repo, d, steps);
            }
        }
    }

    /**
     * The same nine versions with memory for four: at main~1, v6 and v0 held, v5 two steps back
     * would need room for itself and the versions its chain keeps (v4, v3), which it does not have
     * without evicting nearer ones, so it waits (the steps to v4 and v3 would decode its chain
     * again); at main~2, v6 passed, it is the next version, read ahead with what room there is.
     */
    @Test
    void aVersionFartherBackWaitsForRoomForTheVersionsItsChainKeeps() throws Exception {
        List<byte[]> steps = commitBf16Walk(dir.resolve("r"), 9, 3);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            RecentChunksLimit.set(repo.store(), 4L * steps.get(0).length);
            repo.checkout("main", true);
            checkOut(repo, 1, steps);
            assertEquals(0, RecentChunksLimit.readAheadWhenIdle(repo.store()), "no room for v5, v4 and v3 beside v6 and v0");
            assertTrue(held(repo, "main~2"));
            checkOut(repo, 2, steps);
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "v5, the next version now");
            assertTrue(held(repo, "main~3"));
            for (int d = 3; d < steps.size(); d++) {
                checkOut(repo, d, steps);
            }
        }
    }

    @Test
    void aBf16WalkStepsBackAtOnceExactly() throws Exception {
        List<byte[]> steps = commitBf16Walk(dir.resolve("r"), 12, 3);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            repo.checkout("main", true);
            for (int d = 1; d < steps.size(); d++) {
                checkOut(repo, d, steps); // at once: versions farther back being read ahead while the steps go on
            }
            for (int d = steps.size() - 2; d >= 0; d--) {
                checkOut(repo, d, steps); // and forward again: nothing read ahead
            }
        }
    }

    @Test
    void aBf16HistoryStepsBackExactlyWhetherTheReadAheadIsDoneOrNot() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.BF16);
        for (boolean waits : new boolean[] {true, false}) {
            try (Repository repo = Repository.open(dir.resolve("r"))) {
                repo.checkout("main", true);
                for (int d = 1; d < STEPS; d++) {
                    checkOut(repo, d, steps); // at once: a chunk being read ahead is waited for, one not begun read by the checkout
                    if (waits && d == 1) {
                        assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()));
                        assertTrue(held(repo, "main~2"));
                    }
                }
            }
        }
    }

    @Test
    void aHandleThatCommittedReadsAheadFromItsFirstStepBack() throws Exception {
        Path root = dir.resolve("r");
        List<byte[]> steps = new ArrayList<>();
        for (byte[] s : ContextCodingTest.adamSteps(7).subList(0, STEPS)) {
            steps.add(ZigzagDeltasTest.bf16(s));
        }
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults().withCacheBytes(0).withDeltaRun(2))) {
            for (int s = 0; s < STEPS; s++) {
                repo.commitTensors(FILE, List.of(Tensors.of("w", TensorSpec.of(DType.BF16, steps.get(s).length / 2), steps.get(s))),
                        Map.of(), CommitRequest.of("step " + s));
            }
            checkOut(repo, 1, steps); // from HEAD, main: a step back (as through a daemon after its commits)
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2");
            assertTrue(held(repo, "main~2"));
            checkOut(repo, 2, steps);
        }
    }

    @Test
    void hardResetsToTheParentStepBackToo() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.F32);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            repo.checkout("main", true);
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2, HEAD~1 of the commit reset to");
            assertTrue(held(repo, "main~2"));
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertFileIs(steps, 2); // (main itself moved back two commits)
        }
    }

    @Test
    void withRoomForPartOfTheNextVersionThatPartIsReadAhead() throws Exception {
        int chunk = 32 << 10;
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.F32,
                RepositoryConfig.defaults().withCacheBytes(0).withDeltaRun(2).withChunkBytes(chunk));
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            assertEquals(8, repo.graph().tensor(repo.fileAt("main~2", FILE).tensors().get(0).tensorId()).chunks().size(), "the case: 8 chunks");
            RecentChunksLimit.set(repo.store(), 12L * chunk);
            repo.checkout("main", true);
            checkOut(repo, 1, steps); // keeps the keyframe's 8 chunks on the way (these fp32 deltas are not undone): room for 4 more
            long decoded = RecentChunksLimit.readAheadWhenIdle(repo.store());
            assertTrue(decoded >= 1 && decoded <= 4, decoded + " chunks read ahead: as many as the memory of recent chunks holds");
            checkOut(repo, 2, steps);
            checkOut(repo, 3, steps);
        }
    }

    @Test
    void aProgramReadingTensorsFromCommitAfterCommitBackwardFindsTheNextReadAhead() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.BF16);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            assertArrayEquals(steps.get(STEPS - 1), load(repo, 0));
            assertArrayEquals(steps.get(STEPS - 2), load(repo, 1));
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2: no file at hand, its chain three links");
            assertTrue(held(repo, "main~2"));
            for (int d = 2; d < STEPS; d++) {
                assertArrayEquals(steps.get(STEPS - 1 - d), load(repo, d), "main~" + d);
            }
            long before = RecentChunksLimit.readAheadWhenIdle(repo.store());
            load(repo, 3);
            load(repo, 1); // forward, and another file's path would not count either
            assertEquals(before, RecentChunksLimit.readAheadWhenIdle(repo.store()), "no step back: nothing read ahead");
        }
    }

    private static byte[] export(Repository repo, int depth) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        repo.export("main~" + depth, FILE, out, null);
        return out.toByteArray();
    }

    @Test
    void exportsGoingBackFindTheNextReadAheadAsLoadsDo() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.BF16);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            export(repo, 0);
            export(repo, 1);
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2, as for a load");
            assertTrue(held(repo, "main~2"));
            for (int d = 2; d < STEPS; d++) {
                byte[] file = export(repo, d);
                byte[] step = steps.get(STEPS - 1 - d);
                assertArrayEquals(step, Arrays.copyOfRange(file, file.length - step.length, file.length), "main~" + d);
            }
        }
    }

    /**
     * Restoring one checkpoint file from commit after commit back, HEAD staying ({@code coral
     * checkout main~d -- model.safetensors}, {@code coral restore --source main~d ...}), reads the
     * next version of that file ahead, against the file then at hand, as a whole checkout does.
     */
    @Test
    void restoringAFileFromCommitAfterCommitBackFindsTheNextReadAhead() throws Exception {
        for (boolean viaRestore : new boolean[] {false, true}) {
            Path root = dir.resolve("r");
            List<byte[]> steps = commitHistory(root, DType.F32);
            try (Repository repo = Repository.open(root)) {
                restoreFile(repo, 0, steps, viaRestore);
                restoreFile(repo, 1, steps, viaRestore);
                assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~2 (" + (viaRestore ? "restore" : "checkout --") + ")");
                assertTrue(held(repo, "main~2"));
                long fromHand = repo.store().readsFromHand();
                restoreFile(repo, 2, steps, viaRestore);
                assertEquals(fromHand, repo.store().readsFromHand(), "main~2 was served from memory");
                for (int d = 3; d < STEPS; d++) {
                    restoreFile(repo, d, steps, viaRestore);
                }
                assertEquals("main", repo.currentBranch(), "HEAD stays");
            }
            dev.coral.io.Folders.deleteTree(root);
        }
    }

    /**
     * Restores of other files between the steps back through one do not hide them; a jump back
     * reads nothing ahead. Here main~0 adds another file to the six steps, so main~d holds step
     * 6 - d of the model.
     */
    @Test
    void restoresOfOtherFilesBetweenStepsBackDoNotHideThem() throws Exception {
        Path root = dir.resolve("r");
        List<byte[]> steps = commitHistory(root, DType.F32);
        Path other = root.resolve("other.safetensors");
        try (Repository repo = Repository.open(root)) {
            repo.commitTensors("other.safetensors", List.of(Tensors.of("b", TensorSpec.of(DType.F32, 2), new byte[8])), Map.of(),
                    CommitRequest.of("another file"));
            List<byte[]> shifted = new ArrayList<>(steps);
            shifted.add(steps.get(STEPS - 1)); // main~d is shifted's (STEPS - d)th from its end
            restoreFile(repo, 1, shifted, true);
            repo.restoreWorkTree(List.of(other), "main", false);
            restoreFile(repo, 2, shifted, false); // v4, a step back from v5 through the model
            assertEquals(1, RecentChunksLimit.readAheadWhenIdle(repo.store()), "main~3 (v3: two links above the keyframe)");
            assertTrue(Files.exists(other));
        }
        try (Repository repo = Repository.open(root)) { // nothing held
            List<byte[]> shifted = new ArrayList<>(steps);
            shifted.add(steps.get(STEPS - 1));
            restoreFile(repo, 0, shifted, false);
            restoreFile(repo, 2, shifted, true); // a jump back over main~1: main~3 (v3) would be read ahead after a step
            assertEquals(0, RecentChunksLimit.readAheadWhenIdle(repo.store()));
        }
    }

    /**
     * A restore without staging leaves the staging index naming the version staged, not the one it
     * wrote; the next restore of that file, in this process or another (each restore here through
     * a handle of its own, as one-shot commands), still reads from it (here: copies the tensor the
     * two versions share from it, and checks what it wrote).
     */
    @Test
    void aFileRestoredWithoutStagingIsTheNextRestoresFileAtHand() throws Exception {
        Path root = dir.resolve("r");
        byte[] shared = ContextCodingTest.adamSteps(7).get(0);
        List<byte[]> moving = ContextCodingTest.adamSteps(7).subList(1, 4);
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults().withCacheBytes(0))) {
            for (int s = 0; s < moving.size(); s++) {
                repo.commitTensors(FILE, List.of(Tensors.of("a", TensorSpec.of(DType.F32, moving.get(s).length / 4), moving.get(s)),
                        Tensors.of("b", TensorSpec.of(DType.F32, shared.length / 4), shared)), Map.of(), CommitRequest.of("step " + s));
            }
        }
        Path f = root.resolve(FILE);
        for (boolean rememberedEdited : new boolean[] {false, true}) {
            try (Repository repo = Repository.open(root)) {
                repo.restoreWorkTree(List.of(f), "main~1", false);
            }
            if (rememberedEdited) { // the user changed the file since: the staging index's entry (main's, not the file's) is all there is
                Thread.sleep(25); // past the coarse clock's tick that stamped the restore's write (a rewrite within it may keep time and ctime)
                byte[] b = Files.readAllBytes(f);
                b[b.length - 1] ^= 1;
                Files.write(f, b);
            }
            try (Repository repo = Repository.open(root)) {
                long before = repo.store().readsFromHand();
                repo.restoreWorkTree(List.of(f), "main~2", false);
                assertEquals(rememberedEdited ? before : before + shared.length / (4 << 20) + 1, repo.store().readsFromHand(),
                        rememberedEdited ? "nothing at hand" : "tensor b's chunk copied from the file main~1 left");
                byte[] file = Files.readAllBytes(f);
                assertArrayEquals(moving.get(0), Arrays.copyOfRange(file, file.length - shared.length - moving.get(0).length,
                        file.length - shared.length), "main~2's a");
            }
        }
    }

    /** Restores FILE from main~{@code depth} with HEAD staying, and checks it holds that step (main~0 is {@code steps}' last). */
    private void restoreFile(Repository repo, int depth, List<byte[]> steps, boolean viaRestore) throws IOException {
        Path f = dir.resolve("r").resolve(FILE);
        if (viaRestore) {
            repo.restoreWorkTree(List.of(f), "main~" + depth, false);
        } else {
            repo.checkoutPaths("main~" + depth, List.of(f));
        }
        assertFileIs(steps, depth);
    }

    @Test
    void aCheckoutElsewhereStopsWhatWasBeingReadAhead() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.BF16);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            repo.checkout("main", true);
            checkOut(repo, 1, steps); // main~2 is being read ahead
            checkOut(repo, 5, steps); // the user went elsewhere: at once, whatever was begun
            checkOut(repo, 0, steps);
            RecentChunksLimit.readAheadWhenIdle(repo.store());
            checkOut(repo, 2, steps);
        }
    }

    @Test
    void checkoutsThatDoNotStepBackReadNothingAhead() throws Exception {
        List<byte[]> steps = commitHistory(dir.resolve("r"), DType.F32);
        try (Repository repo = Repository.open(dir.resolve("r"))) {
            checkOut(repo, 2, steps);
            checkOut(repo, 1, steps); // forward
            checkOut(repo, 3, steps); // a jump back over main~2
            checkOut(repo, 3, steps); // the same again
            assertEquals(0, RecentChunksLimit.readAheadWhenIdle(repo.store()));
            checkOut(repo, 4, steps); // a step back from main~3: main~5, the keyframe, decodes in one link
            assertEquals(0, RecentChunksLimit.readAheadWhenIdle(repo.store()));
        }
    }
}
