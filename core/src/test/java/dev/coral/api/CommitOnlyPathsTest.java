package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.io.FaultPoints;
import dev.coral.repo.FileEntry;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code commit PATH...} and {@code commitTensors} commit their own paths and nothing else, as
 * git's {@code commit PATH} does: HEAD's tree with those paths' new versions. Whatever else is
 * staged stays staged for a later commit. Before, they committed everything staged with them,
 * so a training loop's checkpoint commit took along a file staged by hand for another commit.
 * {@code addAndCommit} ({@code commit -a}) commits everything staged.
 */
class CommitOnlyPathsTest {
    @TempDir
    Path dir;
    private Path a;
    private Path b;

    /** a and b committed (v1 each). */
    @BeforeEach
    void twoFilesCommitted() throws IOException {
        a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 2, 300));
        b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(2, 2, 300));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("one"));
        }
    }

    private static ObjectId committed(Repository repo, String rev, String path) throws IOException {
        return repo.readTree(repo.resolve(rev)).files().get(path);
    }

    private static byte[] export(Repository repo, String rev, String path) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        repo.export(rev, path, out, null);
        return out.toByteArray();
    }

    private static void assertStaged(Repository repo, Status.Kind kind, String path) throws IOException {
        assertTrue(repo.status().staged().contains(new Status.Change(kind, path)), repo.status().toString());
    }

    @Test
    void otherStagedVersionsStayStagedAndOutOfTheCommit() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            ObjectId aInHead = committed(repo, "HEAD", "a.safetensors");
            TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 300));
            byte[] aStaged = Files.readAllBytes(a);
            repo.add(List.of(a));
            Path fresh = TestModels.writeSafetensors(dir.resolve("fresh.safetensors"), TestModels.randomTensors(4, 2, 300));
            repo.add(List.of(fresh));
            TestModels.writeSafetensors(b, TestModels.randomTensors(5, 2, 300));
            byte[] bNow = Files.readAllBytes(b);

            repo.commit(CommitRequest.of("b alone"), List.of(b));

            Tree t = repo.readTree(repo.headCommit());
            assertEquals(aInHead, t.files().get("a.safetensors"), "a as in the parent, not as staged");
            assertFalse(t.files().containsKey("fresh.safetensors"), "the staged new file is not committed");
            assertArrayEquals(bNow, export(repo, "HEAD", "b.safetensors"));
            assertStaged(repo, Status.Kind.MODIFIED, "a.safetensors");
            assertStaged(repo, Status.Kind.ADDED, "fresh.safetensors");
            assertFalse(repo.status().staged().stream().anyMatch(c -> c.path().equals("b.safetensors")), "b staged as committed");

            repo.commit(CommitRequest.of("the rest"));
            assertArrayEquals(aStaged, export(repo, "HEAD", "a.safetensors"));
            assertTrue(repo.readTree(repo.headCommit()).files().containsKey("fresh.safetensors"));
            assertEquals(committed(repo, "HEAD~1", "b.safetensors"), committed(repo, "HEAD", "b.safetensors"));
        }
    }

    @Test
    void thePathIsCommittedAsInTheWorkTreeNotAsStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(a, TestModels.randomTensors(6, 2, 300));
            repo.add(List.of(a));
            TestModels.writeSafetensors(a, TestModels.randomTensors(7, 2, 300));
            byte[] now = Files.readAllBytes(a);
            repo.commit(CommitRequest.of("a"), List.of(a));
            assertArrayEquals(now, export(repo, "HEAD", "a.safetensors"));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void aGoneTrackedPathIsRemovedAndOnlyIt() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(a, TestModels.randomTensors(8, 2, 300));
            repo.add(List.of(a));
            Files.delete(b);
            repo.commit(CommitRequest.of("b gone"), List.of(b));
            Tree t = repo.readTree(repo.headCommit());
            assertEquals(List.of("a.safetensors"), List.copyOf(t.files().keySet()));
            assertEquals(committed(repo, "HEAD~1", "a.safetensors"), t.files().get("a.safetensors"));
            assertStaged(repo, Status.Kind.MODIFIED, "a.safetensors");
        }
    }

    @Test
    void anUnchangedPathIsNothingToCommitWhateverElseIsStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(a, TestModels.randomTensors(9, 2, 300));
            repo.add(List.of(a));
            ObjectId head = repo.headCommit();
            BadInputException e = assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("b"), List.of(b)));
            assertTrue(e.getMessage().startsWith("nothing to commit: b.safetensors is as in "), e.getMessage());
            Path empty = Files.createDirectories(dir.resolve("empty"));
            e = assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("none"), List.of(empty)));
            assertTrue(e.getMessage().startsWith("nothing to commit: no weight files under the paths given; HEAD is "), e.getMessage());
            assertEquals(head, repo.headCommit());
            assertStaged(repo, Status.Kind.MODIFIED, "a.safetensors");
        }
    }

    @Test
    void theFirstCommitTakesOnlyItsPaths() throws IOException {
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Path x = TestModels.writeSafetensors(other.resolve("x.safetensors"), TestModels.randomTensors(10, 2, 300));
        Path y = TestModels.writeSafetensors(other.resolve("y.safetensors"), TestModels.randomTensors(11, 2, 300));
        try (Repository repo = Repository.init(other)) {
            repo.add(List.of(x));
            repo.commit(CommitRequest.of("y"), List.of(y));
            assertEquals(List.of("y.safetensors"), List.copyOf(repo.readTree(repo.headCommit()).files().keySet()));
            assertStaged(repo, Status.Kind.ADDED, "x.safetensors");
        }
    }

    @Test
    void commitTensorsLeavesOtherStagedFilesStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(a, TestModels.randomTensors(12, 2, 300));
            repo.add(List.of(a));
            ObjectId aInHead = committed(repo, "HEAD", "a.safetensors");
            repo.commitTensors("mem.safetensors", List.of(Tensors.of("t", TensorSpec.of(DType.U8, 3), new byte[] {1, 2, 3})), Map.of(),
                    CommitRequest.of("from memory"));
            Tree t = repo.readTree(repo.headCommit());
            assertEquals(aInHead, t.files().get("a.safetensors"));
            assertTrue(t.files().containsKey("mem.safetensors"));
            assertStaged(repo, Status.Kind.MODIFIED, "a.safetensors");
        }
    }

    @Test
    void addAndCommitCommitsEverythingStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(a, TestModels.randomTensors(13, 2, 300));
            byte[] aStaged = Files.readAllBytes(a);
            repo.add(List.of(a));
            TestModels.writeSafetensors(b, TestModels.randomTensors(14, 2, 300));
            byte[] bNow = Files.readAllBytes(b);
            repo.addAndCommit(CommitRequest.of("all"), List.of(b), true);
            assertArrayEquals(aStaged, export(repo, "HEAD", "a.safetensors"));
            assertArrayEquals(bNow, export(repo, "HEAD", "b.safetensors"));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void aLossyCommitOfAPathQuantizesOnlyThatPath() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Path f = dir.resolve("f.safetensors");
            Path g = dir.resolve("g.safetensors");
            writeFloats(f, 0f);
            writeFloats(g, 0f);
            repo.commit(CommitRequest.of("floats"), List.of(f, g));
            writeFloats(g, 0.01f);
            byte[] gStaged = Files.readAllBytes(g);
            repo.add(List.of(g));
            writeFloats(f, 0.01f);
            ObjectId id = repo.commit(CommitRequest.of("f lossy").withLossy("0.001"), List.of(f));
            assertTrue(repo.readCommit(id).isLossy());
            FileEntry fe = repo.readFileEntry(committed(repo, "HEAD", "f.safetensors"));
            assertTrue(fe.isLossy());
            assertEquals(committed(repo, "HEAD~1", "g.safetensors"), committed(repo, "HEAD", "g.safetensors"), "g not committed");
            assertStaged(repo, Status.Kind.MODIFIED, "g.safetensors");
            repo.commit(CommitRequest.of("g"));
            assertFalse(repo.readCommit(repo.headCommit()).isLossy(), "the staged g was not quantized");
            assertArrayEquals(gStaged, export(repo, "HEAD", "g.safetensors"));
        }
    }

    private static void writeFloats(Path file, float shift) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4 * 1000).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1000; i++) {
            bb.putFloat((float) Math.sin(i) + shift);
        }
        TestModels.writeSafetensors(file, List.of(Tensors.of("w", TensorSpec.of(DType.F32, 1000), bb.array())));
    }

    @Test
    void aCommitReparentedOntoAMovedBranchTakesTheNewTipsTree() throws Exception {
        try (Repository repo = Repository.open(dir)) {
            ObjectId start = repo.headCommit();
            repo.createBranch("side", "HEAD");
            repo.switchBranch("side", false, false);
            Path z = TestModels.writeSafetensors(dir.resolve("z.safetensors"), TestModels.randomTensors(15, 2, 300));
            ObjectId side = repo.commit(CommitRequest.of("z"), List.of(z));
            repo.switchBranch("main", false, false);
            TestModels.writeSafetensors(a, TestModels.randomTensors(16, 2, 300));
            byte[] aNow = Files.readAllBytes(a);
            AtomicBoolean once = new AtomicBoolean();
            FaultPoints.install(point -> {
                if (point.equals("commit.objectsWrittenBeforeRef") && once.compareAndSet(false, true)) {
                    // a ref update outside the staging lock (as branch -f would) moves main to side's tip
                    repo.refs().updateBranch("main", start, side);
                }
            });
            ObjectId id;
            try {
                id = repo.commit(CommitRequest.of("a"), List.of(a));
            } finally {
                FaultPoints.install(null);
            }
            assertTrue(once.get());
            assertEquals(List.of(side), repo.readCommit(id).parents());
            Tree t = repo.readTree(id);
            assertTrue(t.files().containsKey("z.safetensors"), "the new tip's file is kept: " + t.files().keySet());
            assertNotEquals(committed(repo, "side", "a.safetensors"), t.files().get("a.safetensors"));
            assertArrayEquals(aNow, export(repo, "HEAD", "a.safetensors"));
        }
    }
}
