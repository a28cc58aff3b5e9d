package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.FileRestore;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.WorkTree;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * git's {@code restore}: puts back what is staged for paths ({@code staged}), their working
 * files ({@code workTree}), or both, from a source: a revision, or by default HEAD for what is
 * staged and the staging index for working files. As git's (no overlay), a tracked path that
 * the source lacks stops being staged, and its working file is deleted when working files are
 * restored. HEAD never moves. Unstaging drops a staged version no commit has, as git's does
 * (gc keeps it for its grace period); restoring working files discards their changes: that is
 * what the user asks for.
 */
final class Restore {
    private final Repository repo;

    Restore(Repository repo) {
        this.repo = repo;
    }

    /**
     * What a restore changed: the paths whose staged state it replaced, the files it wrote and
     * deleted; and the commit it took them from (HEAD's, or null before the first commit, when
     * the source was the staging index or HEAD).
     */
    record Result(ObjectId commit, List<String> staged, List<String> written, List<String> deleted) {
    }

    /** Restores {@code paths}; one that matches no tracked file is an error unless {@code mayMatchNothing} says it may. */
    Result run(Collection<Path> paths, String source, boolean staged, boolean workTree, Predicate<Path> mayMatchNothing) throws IOException {
        if (!staged && !workTree) {
            throw new IllegalArgumentException("restore neither the staged versions nor the working files");
        }
        WorkTree wt = repo.workTree();
        try (RepositoryLock.Held l = repo.lockIndex()) {
            StagingIndex index = repo.readIndex();
            ObjectId commit = source != null ? repo.resolve(source) : repo.headCommit();
            Map<String, ObjectId> from = sourceFiles(commit, source != null || staged, index);
            TreeSet<String> matched = new TreeSet<>();
            for (Path p : paths) {
                String rp = wt.repoPath(p);
                // each path must match a file by itself: one an earlier path matched too counts (restore sub sub/x)
                boolean any = from.keySet().stream().anyMatch(k -> WorkTree.isUnder(k, rp))
                        || index.entries().keySet().stream().anyMatch(k -> WorkTree.isUnder(k, rp));
                from.keySet().stream().filter(k -> WorkTree.isUnder(k, rp)).forEach(matched::add);
                index.entries().keySet().stream().filter(k -> WorkTree.isUnder(k, rp)).forEach(matched::add);
                if (!any && !mayMatchNothing.test(p)) {
                    throw new BadInputException(p + ": matches no file tracked in the staging index"
                            + (source != null ? " or in " + source : staged ? " or in HEAD" : ""));
                }
            }
            List<String> toWrite = new ArrayList<>();
            if (workTree) {
                matched.stream().filter(from::containsKey).forEach(toWrite::add);
                Checkout.refuseBlockedPaths(toWrite, wt);
            }
            TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(index.entries());
            List<String> restagedPaths = new ArrayList<>();
            List<String> written = new ArrayList<>();
            List<String> deleted = new ArrayList<>();
            FileRestore restore = new FileRestore(repo.graph(), repo.config().checkoutFsync());
            repo.store().noteRestore();
            RestoredFiles.Written unstaged = repo.restoredFiles().read();
            for (String path : matched) {
                ObjectId want = from.get(path);
                StagingIndex.Entry cur = index.entries().get(path);
                StagingIndex.Entry fresh = null;
                if (workTree && want != null) {
                    Path file = wt.file(WorkTree.checkRepoPath(path));
                    FileRestore.Restored r = restore.restore(repo.graph().file(want), file, path, unstaged.atHand(path, file, cur));
                    fresh = Checkout.entryOf(want, r);
                    written.add(path);
                } else if (workTree && cur != null && wt.deleteIfPresent(path)) {
                    deleted.add(path); // tracked, and the source lacks it
                }
                if (staged) {
                    if (want == null) {
                        if (next.remove(path) != null) {
                            restagedPaths.add(path);
                        }
                    } else if (cur == null || !cur.fileEntry().equals(want) || fresh != null) {
                        next.put(path, fresh != null ? fresh : repo.graph().unverified(want));
                        restagedPaths.add(path);
                    }
                } else if (fresh != null && cur != null && cur.fileEntry().equals(want)) {
                    next.put(path, fresh); // the file as staged, just written: its new time and size
                }
                if (fresh != null && next.get(path) == fresh) {
                    unstaged.staged(path);
                } else if (fresh != null) {
                    unstaged.wrote(path, fresh); // the index does not describe it: the next restore's file at hand
                }
            }
            if (workTree) {
                Checkout.removeLeftovers(wt, matched);
            }
            new StagingIndex(next).write(repo.indexFile());
            unstaged.save();
            if (workTree && source != null) { // a version of these files from a revision: perhaps the next step back through them
                repo.stepsBack().restored(commit, written, from);
            }
            return new Result(commit, restagedPaths, written, deleted);
        }
    }

    /**
     * The files of the source: {@code commit}'s (a revision given, or HEAD when restoring what is
     * staged; none before the first commit) when {@code fromCommit}, else the staging index's.
     */
    private Map<String, ObjectId> sourceFiles(ObjectId commit, boolean fromCommit, StagingIndex index) throws IOException {
        if (fromCommit) {
            return commit == null ? Map.of() : repo.readTree(commit).files();
        }
        return index.toTree().files();
    }
}
