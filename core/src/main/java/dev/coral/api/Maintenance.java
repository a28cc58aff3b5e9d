package dev.coral.api;

import dev.coral.error.NotARepositoryException;
import dev.coral.io.RepositoryLock;
import dev.coral.maintenance.Fsck;
import dev.coral.maintenance.FsckReport;
import dev.coral.maintenance.GarbageCollector;
import dev.coral.maintenance.GcReport;
import dev.coral.repo.WorkTree;
import dev.coral.repo.WorkTreeLeftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code coral fsck} and {@code coral gc} for the Java API (see {@link Fsck} and
 * {@link GarbageCollector} for what each checks and removes). Thread-safe: gc serializes on the
 * repository's {@code gc} lock; fsck only reads (unless rebuilding indexes).
 */
public final class Maintenance {
    private Maintenance() {
    }

    /**
     * Checks {@code repo}; with {@code rebuildIndex}, first rebuilds damaged pack indexes, the
     * multi-pack index and the similarity index ({@link SimilarityRebuild}).
     */
    public static FsckReport fsck(Repository repo, boolean rebuildIndex) throws IOException {
        if (!rebuildIndex) {
            return Fsck.check(coralDir(repo), false);
        }
        List<String> repairs = new ArrayList<>(Fsck.rebuildIndexes(coralDir(repo)));
        repo.graph().store().refresh();
        repairs.add(rebuildSimilarityIndex(repo));
        return Fsck.check(coralDir(repo), repairs);
    }

    /**
     * Checks the repository whose {@code .coral} folder is {@code coralDir} without opening it
     * (so a damaged config or pack index is reported rather than fatal).
     */
    public static FsckReport fsck(Path coralDir, boolean rebuildIndex) throws IOException {
        if (!rebuildIndex) {
            return Fsck.check(coralDir, false);
        }
        List<String> repairs = new ArrayList<>(Fsck.rebuildIndexes(coralDir));
        try (Repository repo = Repository.open(coralDir.getParent())) {
            repairs.add(rebuildSimilarityIndex(repo));
        } catch (IOException | RuntimeException e) {
            repairs.add("could not rebuild cache/similarity: " + e.getMessage());
        }
        return Fsck.check(coralDir, repairs);
    }

    /** Rebuilds the similarity index from the stored tensors; one line saying what it did or why it could not. */
    private static String rebuildSimilarityIndex(Repository repo) {
        try {
            return SimilarityRebuild.run(repo).line();
        } catch (IOException | RuntimeException e) {
            return "could not rebuild cache/similarity: " + e.getMessage();
        }
    }

    /** Removes unreachable packs and leftovers older than {@code grace}; {@code dryRun} only reports. */
    public static GcReport gc(Repository repo, boolean dryRun, Duration grace) throws IOException {
        return gc(repo, dryRun, grace, () -> { });
    }

    /** As {@link #gc(Repository, boolean, Duration)}; {@code onWait} runs when gc must wait for commits in progress. */
    public static GcReport gc(Repository repo, boolean dryRun, Duration grace, Runnable onWait) throws IOException {
        GcReport r = GarbageCollector.run(coralDir(repo), repo.graph().store(), repo.refs(), dryRun, grace, onWait);
        return r.withWorkingLeftovers(removeWorkingLeftovers(repo, dryRun));
    }

    /**
     * Removes (for a dry run, lists) the temporary files killed checkouts, merges and exports left
     * beside weight files in the working folder ({@link WorkTreeLeftovers#isLeftoverName}), a minute
     * old or more whatever the grace period (nothing refers to them; each is as large as its
     * file), under the index lock, which every checkout and merge holds while it writes one (none
     * when that lock cannot be taken). A file that cannot be removed is left, and not reported.
     */
    private static List<GcReport.Removed> removeWorkingLeftovers(Repository repo, boolean dryRun) throws IOException {
        WorkTree wt = repo.workTree();
        List<GcReport.Removed> removed = new ArrayList<>();
        RepositoryLock.Held held;
        try {
            held = dryRun ? null : repo.lockIndex();
        } catch (IOException cannotLock) {
            return removed; // a folder in place of the lock file: gc's own report names it, and the leftovers wait
        }
        try (RepositoryLock.Held l = held) {
            List<Path> found = new ArrayList<>();
            wt.weightFilesUnder(wt.root(), f -> { }, f -> { }, found::add);
            long now = System.currentTimeMillis();
            for (Path f : found) {
                try {
                    long bytes = Files.size(f);
                    if (WorkTreeLeftovers.isStale(f, now) && (dryRun || Files.deleteIfExists(f))) {
                        removed.add(new GcReport.Removed(wt.root().relativize(f).toString(), "left by a killed checkout, merge or export", bytes));
                    }
                } catch (IOException gone) {
                    // removed meanwhile, or not ours to remove: left as it is
                }
            }
        }
        removed.sort(java.util.Comparator.comparing(GcReport.Removed::file));
        return removed;
    }

    /** The {@code .coral} folder of the repository containing {@code start}, looking upwards; nothing is opened. */
    public static Path findCoralDir(Path start) throws NotARepositoryException {
        Path p = start.toAbsolutePath().normalize();
        for (Path q = p; q != null; q = q.getParent()) {
            Path coral = q.resolve(WorkTree.CORAL_DIR);
            if (Files.isDirectory(coral)) { // HEAD or not, as Repository.rootOf
                return coral;
            }
        }
        throw new NotARepositoryException(p + ": not a Coral repository (nor any parent folder); run 'coral init'");
    }

    private static Path coralDir(Repository repo) {
        return repo.root().resolve(WorkTree.CORAL_DIR);
    }
}
