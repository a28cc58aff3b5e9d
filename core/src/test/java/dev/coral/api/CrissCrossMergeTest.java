package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A merge whose two sides have several merge bases (a criss-cross: each side merged the other's
 * earlier work) compares them with git's virtual base, the bases merged into one, a file both
 * changed keeping their own base's version ({@link MergeBaseFiles}). Until 2026-12-07 it took one
 * base, whichever a hash set gave first, and the same merge made twice could settle a file two
 * ways. The expected versions are what git 2.39 ({@code merge-ort}) gave on the same history, a
 * binary file f: c0 f=0; A: a1 f=1, mA = merge of b1 with -X ours; B: b1 f=2, mB = merge of a1 with
 * -X ours; A: a2 f=3; then on A, merge B: with -X theirs f=2, with -X ours f=3.
 */
class CrissCrossMergeTest {
    @TempDir
    Path tmp;

    private static Path write(Path dir, String name, long version) throws IOException {
        byte[] b = new byte[32 * 4];
        new java.util.Random(version).nextBytes(b);
        return TestModels.renameInto(dir.resolve(name), List.of(Tensors.of("w", TensorSpec.of(DType.F32, 32), b)));
    }

    /** The history above in {@code dir}, on A after a2; returns the repository, open. */
    private static Repository crissCross(Path dir) throws IOException {
        Repository repo = Repository.init(dir);
        repo.commit(CommitRequest.of("c0"), List.of(write(dir, "f.safetensors", 0), write(dir, "g.safetensors", 0)));
        repo.createBranch("B", "HEAD");
        repo.createBranch("A", "HEAD");
        repo.switchBranch("A", false, false);
        repo.commit(CommitRequest.of("a1"), List.of(write(dir, "f.safetensors", 1)));
        repo.createBranch("a1", "HEAD");
        repo.switchBranch("B", false, false);
        repo.commit(CommitRequest.of("b1"), List.of(write(dir, "f.safetensors", 2)));
        repo.createBranch("b1", "HEAD");
        repo.switchBranch("A", false, false);
        repo.merge("b1", MergeStrategy.parse("ours"), "mA", false, CommitRequest.of("mA"));
        repo.switchBranch("B", false, false);
        repo.merge("a1", MergeStrategy.parse("ours"), "mB", false, CommitRequest.of("mB"));
        repo.switchBranch("A", false, false);
        repo.commit(CommitRequest.of("a2"), List.of(write(dir, "f.safetensors", 3)));
        return repo;
    }

    private static String fileSha(Repository repo, String rev) throws IOException {
        ObjectId id = repo.readTree(repo.resolve(rev)).files().get("f.safetensors");
        return HexFormat.of().formatHex(repo.readFileEntry(id).fileSha256());
    }

    @ParameterizedTest(name = "-X {0}: f as version {1}, every time")
    @CsvSource({"theirs, 2", "ours, 3"})
    void aCrissCrossMergeSettlesAFileAsGitDoesEveryTime(String strategy, int version) throws IOException {
        for (int run = 0; run < 6; run++) { // the ids differ run to run (commit times): a base picked by hash order would vary
            Path dir = Files.createDirectories(tmp.resolve(strategy + run));
            try (Repository repo = crissCross(dir)) {
                assertEquals(2, new dev.coral.repo.RangeWalk(repo.graph()).mergeBases(repo.resolve("A"), repo.resolve("B")).size(),
                        "a1 and b1 are both merge bases");
                repo.merge("B", MergeStrategy.parse(strategy), "final", false, CommitRequest.of("final"));
                Path expected = write(Files.createDirectories(tmp.resolve("expected")), "f.safetensors", version);
                assertEquals(TestModels.sha256(expected), fileSha(repo, "HEAD"), "run " + run + ": f as git's merge-ort settles it");
                assertEquals(TestModels.sha256(expected), TestModels.sha256(dir.resolve("f.safetensors")));
            }
        }
    }

    @Test
    void twoBasesMergeIntoOneKeepingTheirBaseWhereBothChanged() {
        ObjectId x = ObjectId.hashOf(new byte[] {1});
        ObjectId y = ObjectId.hashOf(new byte[] {2});
        ObjectId z = ObjectId.hashOf(new byte[] {3});
        Map<String, ObjectId> base = Map.of("both", x, "one", x, "gone", x, "kept", x, "deletedAndChanged", x);
        Map<String, ObjectId> one = Map.of("both", y, "one", y, "kept", x, "deletedAndChanged", y, "added", y, "addedAlike", z);
        Map<String, ObjectId> two = Map.of("both", z, "one", x, "kept", x, "added", z, "addedAlike", z);
        assertEquals(Map.of("both", x, "one", y, "kept", x, "deletedAndChanged", x, "added", MergeBaseFiles.NO_COMMON_VERSION,
                "addedAlike", z), MergeBaseFiles.mergedInside(base, one, two));
    }
}
