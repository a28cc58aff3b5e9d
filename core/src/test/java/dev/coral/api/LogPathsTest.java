package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.repo.CommitWalk;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Repository#log(String, int, Collection)}: the commits that changed a file at or under
 * the paths given, history simplified as {@code git log -- PATH} does by default. The expected
 * lists are what git 2.39 printed for the same histories (files and commits alike, made by hand).
 */
class LogPathsTest {
    @TempDir
    Path dir;

    /** Version {@code seed} of {@code name}: one F32 tensor of 64 elements, as each version is drawn. */
    private Path write(String name, long seed) throws IOException {
        byte[] b = new byte[64 * 4];
        new java.util.Random(seed).nextBytes(b);
        Files.createDirectories(dir.resolve(name).getParent());
        return TestModels.renameInto(dir.resolve(name), List.of(Tensors.of("w", TensorSpec.of(DType.F32, 64), b)));
    }

    private static CommitRequest req(String message) {
        return CommitRequest.of(message);
    }

    private List<String> log(Repository repo, String rev, int limit, String... paths) throws IOException {
        return repo.log(rev, limit, java.util.Arrays.stream(paths).map(dir::resolve).toList()).stream()
                .map(e -> e.commit().message()).toList();
    }

    @Test
    void aLinearHistoryShowsTheCommitsThatChangedThePath() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commit(req("c1"), List.of(write("a.safetensors", 1), write("sub/b.safetensors", 1)));
            repo.commit(req("c2"), List.of(write("a.safetensors", 2)));
            repo.commit(req("c3"), List.of(write("sub/b.safetensors", 3)));
            repo.commit(req("c4"), List.of(write("sub/c.safetensors", 4)));
            repo.remove(List.of(dir.resolve("a.safetensors")), false);
            repo.commit(req("c5"));
            assertEquals(List.of("c5", "c2", "c1"), log(repo, "HEAD", -1, "a.safetensors"), "a file since removed has a history");
            assertEquals(List.of("c4", "c3", "c1"), log(repo, "HEAD", -1, "sub"), "a folder: every file under it");
            assertEquals(List.of("c3", "c1"), log(repo, "HEAD", -1, "sub/b.safetensors"));
            assertEquals(List.of("c5", "c4", "c3", "c2", "c1"), log(repo, "HEAD", -1, "."), "the root: every commit that changed a file");
            assertEquals(List.of("c5", "c3", "c2", "c1"), log(repo, "HEAD", -1, "a.safetensors", "sub/b.safetensors"));
            assertEquals(List.of("c5", "c2"), log(repo, "HEAD", 2, "a.safetensors"), "-n counts the commits shown");
            assertEquals(List.of("c3", "c1"), log(repo, "HEAD~2", -1, "sub/b.safetensors"), "from another revision");
            assertEquals(List.of(), log(repo, "HEAD", -1, "never.npy"));
            assertEquals(List.of(), log(repo, "HEAD", -1, "sub/b"), "a path is a file or a folder, not a prefix of a name");
        }
    }

    @Test
    void aMergeThatTookOneSidesFileFollowsThatSideOnly() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commit(req("base"), List.of(write("a.safetensors", 1), write("b.safetensors", 1)));
            repo.createBranch("exp", "HEAD");
            repo.switchBranch("exp", false, false);
            repo.commit(req("exp a"), List.of(write("a.safetensors", 2)));
            repo.switchBranch("main", false, false);
            repo.commit(req("main b"), List.of(write("b.safetensors", 3)));
            repo.merge("exp", MergeStrategy.NONE, "merge exp", false, req("merge exp"));
            assertEquals(List.of("merge exp", "main b", "exp a", "base"), repo.log("HEAD", -1).stream()
                    .map(e -> e.commit().message()).toList());
            assertEquals(List.of("exp a", "base"), log(repo, "HEAD", -1, "a.safetensors"), "a as exp had it: the merge is left out");
            assertEquals(List.of("main b", "base"), log(repo, "HEAD", -1, "b.safetensors"));
            assertEquals(List.of("merge exp", "main b", "exp a", "base"), log(repo, "HEAD", -1, "."),
                    "both files: the merge differs from each parent");
        }
    }

    /** "base", then a.safetensors changed on exp ("exp a") and on main ("main a"), merged into main by {@code strategy}. */
    private void changedOnBothSidesAndMerged(Repository repo, String strategy) throws IOException {
        repo.commit(req("base"), List.of(write("a.safetensors", 1)));
        repo.createBranch("exp", "HEAD");
        repo.switchBranch("exp", false, false);
        repo.commit(req("exp a"), List.of(write("a.safetensors", 2)));
        repo.switchBranch("main", false, false);
        repo.commit(req("main a"), List.of(write("a.safetensors", 3)));
        repo.merge("exp", MergeStrategy.parse(strategy), "merge exp", false, req("merge exp"));
    }

    @Test
    void aMergeThatChangedTheFileOnBothSidesIsShownAndBothSidesFollowed() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            changedOnBothSidesAndMerged(repo, "average");
            assertEquals(List.of("merge exp", "main a", "exp a", "base"), log(repo, "HEAD", -1, "a.safetensors"));
        }
    }

    @Test
    void aMergeKeepingOursLeavesTheSideBranchOut() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            changedOnBothSidesAndMerged(repo, "ours");
            assertEquals(List.of("main a", "base"), log(repo, "HEAD", -1, "a.safetensors"), "as git: TREESAME to main's side");
        }
    }

    /**
     * git's walk marks what a left-out revision reaches only as it gets there, newest first, and a
     * merge taken before that is simplified to a parent not yet marked: {@code side..other -- d}
     * lists nothing, where the set difference of the ancestries would list the merge and o1 (found
     * by {@code perf/tools/log-paths-differential.py}; the expected lists are git 2.39's on the same
     * history).
     */
    @Test
    void aRangeWithAPathFollowsGitsWalkNotTheSetDifference() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commit(req("c0"), List.of(write("a.safetensors", 0), write("d/x.safetensors", 0)));
            repo.createBranch("side", "HEAD");
            repo.createBranch("other", "HEAD");
            repo.switchBranch("side", false, false);
            repo.commit(req("s1"), List.of(write("d/x.safetensors", 1)));
            repo.commit(req("s2"), List.of(write("a.safetensors", 1)));
            repo.commit(req("s3"), List.of(write("a.safetensors", 2)));
            repo.switchBranch("other", false, false);
            repo.commit(req("o1"), List.of(write("d/x.safetensors", 2)));
            repo.commit(req("o2"), List.of(write("a.safetensors", 3)));
            repo.merge("side~2", MergeStrategy.parse("theirs"), "m", false, req("m"));
            assertEquals(List.of(), range(repo, List.of("side..other"), "d"), "m, taken first, simplified to s1, not yet left out");
            assertEquals(List.of("m", "o2", "o1"), range(repo, List.of("side..other")));
            assertEquals(List.of(), range(repo, List.of("^side", "other"), "d"));
            assertEquals(List.of("m", "o1"), range(repo, List.of("other", "^side~1"), "d"),
                    "s1, a parent of the commit left out, is marked at once: the merge is not simplified to it");
            assertEquals(List.of(), range(repo, List.of("side...other"), "d"), "s1, the merge base, is left out by name: relevant");
            assertEquals(List.of("m", "o2", "o1", "s3", "s2"), range(repo, List.of("side...other")));
            assertEquals(List.of("m", "o2", "o1", "c0"), firstParent(repo, List.of("other")), "--first-parent: other's own history");
            assertEquals(List.of("m", "o1", "c0"), firstParent(repo, List.of("other"), "d"));
            assertEquals(List.of("m", "o1"), firstParent(repo, List.of("side..other"), "d"),
                    "compared with its first parent alone, the merge is not simplified to s1");
        }
    }

    private List<String> firstParent(Repository repo, List<String> revisions, String... paths) throws IOException {
        return repo.log(RevisionSet.parse(repo, revisions), -1, java.util.Arrays.stream(paths).map(dir::resolve).toList(), true).stream()
                .map(e -> e.commit().message()).toList();
    }

    private List<String> range(Repository repo, List<String> revisions, String... paths) throws IOException {
        return repo.log(RevisionSet.parse(repo, revisions), -1, java.util.Arrays.stream(paths).map(dir::resolve).toList()).stream()
                .map(e -> e.commit().message()).toList();
    }
}
