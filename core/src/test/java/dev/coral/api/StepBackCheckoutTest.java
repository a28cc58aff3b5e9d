package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.repo.ChunkRef;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.RecentChunksLimit;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checking out a BF16 history newest to oldest through one handle, as a script looking for the
 * best checkpoint does: from its second checkout the handle keeps the versions a step back decodes
 * on the way (zigzag deltas are not undone on the file), and every file checked out is the one
 * committed; a handle that checks out once keeps none. A file of one chunk starts from the file at
 * hand as a larger one does (until 2026-12-06 it was decoded down its chain every time).
 */
class StepBackCheckoutTest {
    private static final int STEPS = 6;
    private static final String FILE = "model.safetensors";

    @TempDir
    Path dir;

    /** Commits STEPS BF16 Adam-like steps of one tensor (no chunk cache: reads go down the chains); returns each step's bytes. */
    private List<byte[]> commitHistory(Path root) throws IOException {
        return commitHistory(root, DType.BF16);
    }

    private List<byte[]> commitHistory(Path root, DType dtype) throws IOException {
        List<byte[]> steps = new ArrayList<>();
        for (byte[] s : ContextCodingTest.adamSteps(7).subList(0, STEPS)) {
            steps.add(dtype == DType.BF16 ? ZigzagDeltasTest.bf16(s) : s);
        }
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults().withCacheBytes(0))) {
            for (int s = 0; s < STEPS; s++) {
                repo.commitTensors(FILE, List.of(Tensors.of("w", TensorSpec.of(dtype, steps.get(s).length / dtype.elementBytes()), steps.get(s))),
                        Map.of(), CommitRequest.of("step " + s));
            }
        }
        return steps;
    }

    private static void assertCheckedOut(Path root, byte[] step, String what) throws IOException {
        byte[] file = Files.readAllBytes(root.resolve(FILE));
        assertArrayEquals(step, Arrays.copyOfRange(file, file.length - step.length, file.length), what); // the tensor's data ends the file
    }

    private static List<ChunkRef> chunks(Repository repo, String rev) throws IOException {
        return repo.tensor(rev, FILE, "w").object().chunks();
    }

    /** Whether every chunk of main~2 .. the keyframe is held in the handle's memory (kept on the way to main~1), as {@code held} says. */
    private static void assertVersionsBelowMain1Held(Repository repo, boolean held) throws IOException {
        for (int d = 2; d < STEPS; d++) {
            for (ChunkRef c : chunks(repo, "main~" + d)) {
                assertEquals(held, RecentChunksLimit.holds(repo.store(), c.id()), "main~" + d + (held ? " was kept on the way to main~1" : ""));
            }
        }
    }

    @Test
    void aHandleSteppingBackKeepsTheVersionsBelowAndChecksOutEachExactly() throws IOException {
        Path root = dir.resolve("r");
        List<byte[]> steps = commitHistory(root);
        try (Repository repo = Repository.open(root)) {
            repo.checkout("main", true);
            repo.checkout("main~1", true);
            assertCheckedOut(root, steps.get(STEPS - 2), "main~1");
            assertVersionsBelowMain1Held(repo, true);
            for (int d = 2; d < STEPS; d++) {
                repo.checkout("main~" + d, true);
                assertCheckedOut(root, steps.get(STEPS - 1 - d), "main~" + d);
            }
        }
    }

    @Test
    void aFileOfOneChunkIsReadFromTheFileAtHand() throws IOException {
        Path root = dir.resolve("r");
        List<byte[]> steps = commitHistory(root, DType.F32);
        try (Repository repo = Repository.open(root)) {
            assertEquals(1, chunks(repo, "main").size(), "the case: one chunk");
            repo.checkout("main~" + (STEPS - 1), true); // the keyframe
            repo.checkout("main~" + (STEPS - 2), true); // one delta above it (from the keyframe's file: no gain, decoded)
            for (int d = STEPS - 3; d >= 0; d--) { // forward a step at a time: the delta above the file's chunk applied to its bytes
                long before = repo.store().readsFromHand();
                repo.checkout("main~" + d, true);
                assertCheckedOut(root, steps.get(STEPS - 1 - d), "main~" + d);
                assertEquals(before + 1, repo.store().readsFromHand(), "main~" + d + " read from the file at hand");
            }
        }
    }

    @Test
    void aHandleThatChecksOutOnceKeepsNone() throws IOException {
        Path root = dir.resolve("r");
        List<byte[]> steps = commitHistory(root);
        try (Repository repo = Repository.open(root)) {
            repo.checkout("main~1", true);
            assertCheckedOut(root, steps.get(STEPS - 2), "main~1");
            assertVersionsBelowMain1Held(repo, false);
        }
    }
}
