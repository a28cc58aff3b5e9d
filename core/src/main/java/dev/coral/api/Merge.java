package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.error.LockFailedException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.AtomicFile;
import dev.coral.io.FailureWords;
import dev.coral.io.FaultPoints;
import dev.coral.io.SeenFile;
import dev.coral.io.WriteErrors;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.FileEntry;
import dev.coral.repo.FileRestore;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.FloatElements;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code coral merge REV}: joins another line of history into the current branch, as git's
 * merge does, file by file against the merge base (the nearest common ancestor; of several, git's
 * virtual base, {@link MergeBaseFiles}). A file changed
 * on one side only is taken from that side; a file changed on both is settled by the
 * {@link MergeStrategy}: refused (the default), ours, theirs, or the weighted mean of the two
 * versions' tensors, tensor by tensor against the base's (a tensor changed on one side only is
 * taken from it; float tensors changed on both are averaged; anything else is a conflict). When
 * the current commit is an ancestor of REV the branch is fast-forwarded; when REV is an ancestor
 * of it there is nothing to do. A merge needs no staged or unstaged change (untracked files
 * aside), checks every file before changing any, and on a failure part way puts the branch, the
 * staging index and the working files back as they were. As git's, it records the commit it
 * started from as ORIG_HEAD once the revision resolves (whatever follows).
 */
final class Merge {
    private final Repository repo;
    private final ObjectGraph graph;

    Merge(Repository repo) {
        this.repo = repo;
        this.graph = repo.graph();
    }

    /** A file both sides changed: ours and theirs' file entries (null: deleted there), the base's (null: none). */
    private record BothChanged(String path, ObjectId base, ObjectId ours, ObjectId theirs) {
    }

    MergeResult run(String revision, MergeStrategy strategy, String message, boolean noFastForward, CommitRequest template)
            throws IOException {
        ObjectId ours = repo.headCommit();
        if (ours == null) {
            throw new BadInputException("merge: no commit yet on this branch (commit first, or switch to " + revision + ")");
        }
        ObjectId theirs = repo.resolve(revision);
        repo.refs().setOrigHead(ours); // as git's: ORIG_HEAD is where the merge started, so 'reset --hard ORIG_HEAD' undoes it
        CommitWalk walk = new CommitWalk(graph);
        if (walk.reaches(List.of(ours), theirs)) {
            return new MergeResult(MergeResult.Outcome.UP_TO_DATE, ours, List.of(), List.of(), List.of());
        }
        Map<String, ObjectId> ourFiles = repo.readTree(ours).files();
        Map<String, ObjectId> theirFiles = repo.readTree(theirs).files();
        boolean fastForward = !noFastForward && walk.reaches(List.of(theirs), ours);
        // what is at each path before the check that the folder is clean: a file another process writes after it is left
        // (a fast-forward's checkout notes it itself)
        Map<String, SeenFile> seen = fastForward ? Map.of() : Checkout.seen(repo.workTree(), union(ourFiles, theirFiles));
        Status status = repo.status();
        if (!status.isClean()) {
            throw new BadInputException("merge: the working folder has changes (" + describe(status)
                    + "): commit them or put them back (coral restore) first");
        }
        FaultPoints.hit("merge.checked");
        if (fastForward) {
            requireNoUntrackedInTheWay(status, theirFiles.keySet().stream().filter(p -> !ourFiles.containsKey(p)).toList());
            Repository.CheckoutResult ff;
            try {
                ff = repo.fastForward(ours, theirs); // as reset --keep: a change made since the check is kept, or left
            } catch (Checkout.WouldOverwrite refused) {
                // a change another process made after the folder's check (the checkout's words named checkout, and --force)
                throw new BadInputException("merge: the fast-forward would overwrite " + refused.what()
                        + ", changed while the merge ran; nothing was changed: merge again once it is committed", refused);
            }
            List<String> changed = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            for (String p : new TreeSet<>(union(ourFiles, theirFiles))) {
                if (theirFiles.get(p) == null) {
                    removed.add(p);
                } else if (!theirFiles.get(p).equals(ourFiles.get(p))) {
                    changed.add(p);
                }
            }
            return new MergeResult(MergeResult.Outcome.FAST_FORWARD, theirs, changed, List.of(), removed, ff.leftAsFound());
        }
        Map<String, ObjectId> baseFiles = new MergeBaseFiles(repo).of(ours, theirs);

        List<String> take = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        Map<String, List<TensorSource>> mean = new TreeMap<>();
        List<String> conflicts = new ArrayList<>();
        for (String p : new TreeSet<>(union(ourFiles, theirFiles))) {
            ObjectId b = baseFiles.get(p);
            ObjectId o = ourFiles.get(p);
            ObjectId t = theirFiles.get(p);
            if (Objects.equals(o, t) || Objects.equals(t, b)) {
                continue; // the same on both sides, or changed on ours only
            }
            if (Objects.equals(o, b) || strategy.kind() == MergeStrategy.Kind.THEIRS) {
                (t == null ? remove : take).add(p);
            } else if (strategy.kind() == MergeStrategy.Kind.MEAN) {
                String problem = o == null || t == null ? "deleted on one side and changed on the other"
                        : planMean(new BothChanged(p, MergeBaseFiles.NO_COMMON_VERSION.equals(b) ? null : b, o, t), strategy.weight(), mean);
                if (problem != null) {
                    conflicts.add(p + " (" + problem + ")");
                }
            } else if (strategy.kind() == MergeStrategy.Kind.NONE) {
                conflicts.add(p);
            } // OURS: ours stays
        }
        if (!conflicts.isEmpty()) {
            throw new BadInputException("merge: " + conflicts.size() + (conflicts.size() == 1 ? " file" : " files")
                    + " changed on both sides cannot be merged" + (strategy.kind() == MergeStrategy.Kind.NONE ? "" : " with --strategy " + strategy)
                    + ": " + shortList(conflicts) + (strategy.kind() == MergeStrategy.Kind.NONE
                    ? "; choose --strategy ours, theirs, average or weighted=W" : "; nothing was changed"));
        }
        // only what the merge writes: a file theirs has and ours deleted since the base, theirs unchanged, stays deleted and
        // its untracked copy in place, as git leaves it (found by the git fuzz, seed 6588: the check had refused any path of theirs)
        requireNoUntrackedInTheWay(status, take);
        String subject = message != null ? message : "Merge " + revision + (strategy.kind() == MergeStrategy.Kind.NONE ? "" : " (" + strategy + ")");
        CommitRequest request = new CommitRequest(subject, template.metrics(), template.author());
        Set<String> touched = new TreeSet<>(take);
        touched.addAll(remove);
        touched.addAll(mean.keySet());
        Map<String, byte[]> averaged = new HashMap<>(); // the SHA-256 of each averaged file written, by path
        try {
            List<String> left = new ArrayList<>();
            if (!take.isEmpty()) {
                left.addAll(repo.checkoutPaths(theirs.toString(), paths(take), seen).leftAsFound());
            }
            if (!remove.isEmpty()) {
                left.addAll(repo.removeAsSeen(remove, seen));
            }
            if (!mean.isEmpty()) {
                left.addAll(writeMeans(mean, ourFiles, seen, averaged));
            }
            java.util.Collections.sort(left);
            FaultPoints.hit("merge.filesWritten");
            ObjectId merged = repo.commitMerge(request, ours, theirs);
            return new MergeResult(MergeResult.Outcome.MERGED, merged, take, new ArrayList<>(mean.keySet()), remove, left);
        } catch (IOException | RuntimeException e) {
            List<String> kept;
            ObjectId now;
            try {
                now = repo.headCommit();
                // put back as the branch's tip has them, only the files that still hold what the merge wrote (until
                // 2026-12-07, with the branch not moved, a reset --hard: it overwrote a file another process wrote since)
                kept = now == null ? List.of() : takeBack(now, touched, averaged);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
                // the user learns which files may hold the merge's versions, and how to put HEAD's back (until 2026-12-07 only
                // the first failure was told: a disk-full fuzz found averaged files left beside an unchanged HEAD)
                throw new IOException("merge: " + FailureWords.describe(e).replaceFirst("^merge: ", "") + "; putting the working files back failed too (" + FailureWords.describe(again) + "): "
                        + shortList(new ArrayList<>(touched)) + " may hold what the merge wrote; 'coral reset --hard' puts back HEAD's once that is"
                        + " mended", e);
            }
            String leftWords = kept.isEmpty() ? "" : " (but " + shortList(kept) + ", written by another process since)";
            if (e instanceof LockFailedException && now != null && !now.equals(ours)) {
                throw new LockFailedException("merge: another commit moved the branch to " + now.abbreviate(12) + " while the merge ran;"
                        + " no merge commit was made, and the files it had written were put back as " + now.abbreviate(12) + " has them"
                        + leftWords + ": merge again");
            }
            if (!kept.isEmpty()) {
                throw new IOException("merge: " + FailureWords.describe(e).replaceFirst("^merge: ", "") + "; the files it had written were put"
                        + " back as HEAD has them" + leftWords, e);
            }
            throw e;
        }
    }

    /**
     * Plans the mean of a file both sides changed: its tensors, each ours', theirs' or their mean
     * by the base's version; or why it cannot be merged so (null when it can).
     */
    private String planMean(BothChanged f, double weight, Map<String, List<TensorSource>> plans) throws IOException {
        FileEntry ours = graph.file(f.ours());
        FileEntry theirs = graph.file(f.theirs());
        if (!ours.format().equals(theirs.format())) {
            return "a " + ours.format() + " file on one side and " + theirs.format() + " on the other";
        }
        if (ours.isLossy() || theirs.isLossy()) {
            return "a lossy version on one side: averaging it would make the merge lossy";
        }
        FileRestore restore = new FileRestore(graph);
        List<StoredTensor> o = restore.tensors(ours);
        List<StoredTensor> t = restore.tensors(theirs);
        Map<String, ObjectId> base = new HashMap<>();
        if (f.base() != null) {
            for (FileEntry.NamedTensor n : graph.file(f.base()).tensors()) {
                base.put(n.name(), n.tensorId());
            }
        }
        if (o.size() != t.size()) {
            return "tensors added or removed (" + o.size() + " against " + t.size() + "): only the same tensors are averaged";
        }
        List<TensorSource> plan = new ArrayList<>();
        for (int i = 0; i < o.size(); i++) {
            StoredTensor a = o.get(i);
            StoredTensor b = t.get(i);
            if (!a.name().equals(b.name()) || !a.spec().equals(b.spec())) {
                return "tensor '" + a.name() + "' " + a.spec().dtype() + " " + a.spec().shape() + " against '" + b.name() + "' "
                        + b.spec().dtype() + " " + b.spec().shape() + ": only tensors of the same name, dtype and shape are averaged";
            }
            ObjectId was = base.get(a.name());
            if (a.id().equals(b.id()) || b.id().equals(was)) {
                plan.add(a);
            } else if (a.id().equals(was)) {
                plan.add(b);
            } else if (FloatElements.handles(a.spec().dtype())) {
                plan.add(new WeightMean(a.name(), a.spec(), a, b, weight));
            } else {
                return "tensor '" + a.name() + "' (" + a.spec().dtype() + ") changed on both sides: only float tensors are averaged";
            }
        }
        plans.put(f.path(), plan);
        return null;
    }

    /**
     * Writes each averaged file beside its working path, then stores, places and stages them
     * ({@link Repository#stageWrittenAside}): only over what was {@code seen} at the path. Records
     * the SHA-256 of each file stored in {@code averaged}; returns the paths left as another
     * process wrote them.
     */
    private List<String> writeMeans(Map<String, List<TensorSource>> mean, Map<String, ObjectId> ourFiles, Map<String, SeenFile> seen,
                                    Map<String, byte[]> averaged) throws IOException {
        boolean unsynced = !repo.config().checkoutFsync() && dev.coral.io.BootId.current().isPresent();
        // what a killed merge left beside these files (each as large as the file; a checkout of them removes them too)
        Checkout.removeLeftovers(repo.workTree(), mean.keySet());
        Map<String, Path> aside = new TreeMap<>();
        try {
            for (Map.Entry<String, List<TensorSource>> e : mean.entrySet()) {
                Path target = repo.root().resolve(e.getKey());
                Path tmp = AtomicFile.tempSibling(target); // a leftover of a killed merge is removed as a checkout's is
                aside.put(e.getKey(), tmp);
                writeMean(e.getKey(), ourFiles.get(e.getKey()), e.getValue(), tmp, target, !unsynced);
            }
            return repo.stageWrittenAside(aside, seen, unsynced, averaged);
        } finally {
            for (Path tmp : aside.values()) {
                Files.deleteIfExists(tmp); // placed ones are gone already
            }
        }
    }

    /** Writes the averaged file of {@code path} to {@code tmp}: ours' layout (its header, dtypes, shapes) with the planned tensors. */
    private void writeMean(String path, ObjectId oursEntry, List<TensorSource> tensors, Path tmp, Path target, boolean fsync) throws IOException {
        FileEntry ours = graph.file(oursEntry);
        WeightFileFormat format = WeightFormats.byName(ours.format())
                .orElseThrow(() -> new BadInputException(path + ": unknown format " + ours.format()));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE);
             OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 18)) {
            format.restore(format.forOtherValues(ours.restoreInfo()), tensors, out);
            out.flush();
            if (fsync) {
                ch.force(true);
            }
        } catch (IOException e) {
            throw WriteErrors.naming(target, e); // a full disk: "m.npy: No space left on device", not the bare words
        }
    }

    /** Refuses when an untracked file would be overwritten by one of {@code written}, the paths the merge writes from theirs. */
    private void requireNoUntrackedInTheWay(Status status, java.util.Collection<String> written) throws BadInputException {
        Set<String> writes = new HashSet<>(written);
        for (String u : status.untracked()) {
            if (writes.contains(u)) {
                throw new BadInputException("merge: the untracked file " + u + " would be overwritten by the merge: move or add it first");
            }
        }
    }

    /**
     * After a merge failed part way, or its commit was refused because another writer's commit
     * moved the branch to {@code now}: the files it wrote and staged ({@code touched}) put back
     * as {@code now} has them (deleted and unstaged where it has none), each only while its
     * working file is still the one the merge wrote or found (the bytes its staged entry records,
     * or the averaged file's, {@code averaged}); returns those left because another process wrote
     * them since. Until 2026-12-07 a refused commit left them all staged with the merge's versions,
     * for the other writer's next commit to take, and a failure with the branch unmoved was put
     * back by {@code reset --hard}, over whatever was there.
     */
    private List<String> takeBack(ObjectId now, Set<String> touched, Map<String, byte[]> averaged) throws IOException {
        Map<String, ObjectId> nowFiles = repo.readTree(now).files();
        Map<String, dev.coral.repo.StagingIndex.Entry> staged = repo.readIndex().entries();
        Map<String, SeenFile> seen = new HashMap<>();
        List<String> restore = new ArrayList<>();
        List<String> delete = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        Map<String, ObjectId> mergeStaged = new HashMap<>(); // what the index stages at each path kept (null: nothing)
        for (String p : touched) {
            dev.coral.repo.StagingIndex.Entry e = staged.get(p);
            Path f = repo.workTree().file(p);
            SeenFile there = SeenFile.of(f);
            // by content: the merge's own files are new enough for the index to hold them racy, their times unverified
            byte[] sha = there.present() ? dev.coral.repo.FileIngest.FileStat.sha256(f) : null;
            boolean mergesOwn = e == null ? !there.present()
                    : there.present() && (e.size() >= 0 && java.util.Arrays.equals(sha, e.sha256()) || java.util.Arrays.equals(sha, averaged.get(p)));
            if (!mergesOwn) {
                kept.add(p);
                mergeStaged.put(p, e == null ? null : e.fileEntry());
                continue;
            }
            seen.put(p, there);
            if (nowFiles.containsKey(p)) {
                restore.add(p);
            } else if (e != null) {
                delete.add(p);
            }
        }
        if (!restore.isEmpty()) {
            kept.addAll(repo.checkoutPaths(now.hex(), paths(restore), seen).leftAsFound());
        }
        if (!delete.isEmpty()) {
            kept.addAll(repo.removeAsSeen(delete, seen));
        }
        repo.restageAsTip(mergeStaged, nowFiles);
        java.util.Collections.sort(kept);
        return kept;
    }

    private List<Path> paths(List<String> repoPaths) {
        List<Path> out = new ArrayList<>();
        for (String p : repoPaths) {
            out.add(repo.root().resolve(p));
        }
        return out;
    }

    private static Set<String> union(Map<String, ObjectId> a, Map<String, ObjectId> b) {
        Set<String> all = new HashSet<>(a.keySet());
        all.addAll(b.keySet());
        return all;
    }

    private static String describe(Status s) {
        List<String> all = new ArrayList<>();
        s.staged().forEach(c -> all.add(c.path() + " staged"));
        s.notStaged().forEach(c -> all.add(c.path() + " " + c.kind().name().toLowerCase(java.util.Locale.ROOT)));
        return shortList(all);
    }

    private static String shortList(List<String> items) {
        String shown = String.join(", ", items.subList(0, Math.min(3, items.size())));
        return items.size() > 3 ? shown + " and " + (items.size() - 3) + " more" : shown;
    }
}
