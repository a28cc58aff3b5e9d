package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.error.LockFailedException;
import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.Commit;
import dev.coral.repo.FileEntry;
import dev.coral.repo.LossyRewrite;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.repo.RootAttempts;
import dev.coral.repo.Tree;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes commits. Each commit is a full snapshot (of the staged tree, or of the parent's with the
 * commit's own paths applied: {@link Scope}), so when another writer moved
 * the branch between reading its tip and updating it, the commit is re-parented onto the new tip
 * and the compare-and-swap retried (bounded).
 */
final class History {
    private static final int MAX_ATTEMPTS = 16;
    private final Repository repo;

    History(Repository repo) {
        this.repo = repo;
    }

    /** What a commit records: the whole staging index, or only the paths it stages itself. */
    enum Scope {
        /** Everything staged, after applying the commit's own changes ({@code coral commit}, {@code commit -a}). */
        STAGED,
        /**
         * The parent's tree with only the commit's own changes applied ({@code coral commit PATH...},
         * {@code commitTensors}, as git's {@code commit PATH}): whatever else is staged stays
         * staged for a later commit, and its own paths are staged as committed.
         */
        ONLY_OWN
    }

    /**
     * Commits after applying {@code pending} to the staging index. The whole step holds the
     * staging lock, so concurrent commits (threads or processes) are serialized: each one's
     * snapshot includes every commit before it, and none is lost or reverted. With
     * {@code expectedParent} present (no rebase), the commit fails unless the branch is still
     * where it was when the caller began (empty: unborn). {@code carried}: the objects of
     * {@code pending} possibly still unflushed in that inserter; the tree and the commit join
     * them in its pack, so the commit costs one pack (its fsyncs, its index file, its renames)
     * instead of two. The staging index is written only once that pack is durable, as it names
     * the staged objects. {@code null}: a fresh inserter for the tree and the commit, the staged
     * objects being durable already.
     */
    ObjectId commit(CommitRequest request, Repository.StagedChanges pending, java.util.Optional<ObjectId> expectedParent,
                    ObjectInserter carried, Scope scope) throws IOException {
        return commit(request, pending, expectedParent, carried, scope, List.of());
    }

    /**
     * As {@link #commit(CommitRequest, Repository.StagedChanges, java.util.Optional, ObjectInserter, Scope)},
     * with {@code mergedParents} after the first parent (a merge commit's: {@link Merge}); such a
     * commit is made even when its tree is the first parent's, as git's merge makes it.
     */
    ObjectId commit(CommitRequest request, Repository.StagedChanges pending, java.util.Optional<ObjectId> expectedParent,
                    ObjectInserter carried, Scope scope, List<ObjectId> mergedParents) throws IOException {
        if (request.message() == null || request.message().isBlank()) {
            throw new BadInputException("empty commit message (give -m MESSAGE)");
        }
        Refs refs = repo.refs();
        ObjectGraph graph = repo.graph();
        FaultPoints.hit("commit.storedBeforeLock");
        try (RepositoryLock.Held l = repo.lockIndex()) {
            StagingIndex before = repo.readIndex();
            pending = pending.withoutStale(before, repo.workTree());
            StagingIndex index = pending.applyTo(before);
            boolean only = scope == Scope.ONLY_OWN;
            String lossyEps = "";
            if (!request.lossyEps().isEmpty()) {
                Quantized q = quantize(index, only ? pending.put().keySet() : index.entries().keySet(), request.lossyEps(), carried,
                        pending);
                index = q.index();
                lossyEps = q.storesLossy() ? request.lossyEps() : "";
            }
            boolean indexChanged = pending != Repository.StagedChanges.NONE || !request.lossyEps().isEmpty();
            boolean indexWritten = false;
            ObjectId tried = null;
            try (ObjectInserter own = carried == null ? repo.graph().store().newInserter() : null) {
                ObjectInserter ins = carried == null ? own : carried;
                ObjectId treeId = null;
                ObjectId treeParent = null;
                for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                    Refs.Head head = refs.head();
                    ObjectId parent = head.isDetached() ? head.detached() : refs.branch(head.branch());
                    if (parent == null && !head.isDetached() && storesACommit()) {
                        parent = awaitBranch(refs, head.branch());
                    }
                    if (treeId == null || only && !java.util.Objects.equals(parent, treeParent)) {
                        // a whole snapshot of the index is the same on any parent; the own paths go onto the parent's tree
                        Tree tree = only ? ownOnto(parent, pending, index) : index.toTree();
                        requireNoFileWhereAFolderIs(tree.files().keySet());
                        treeId = ObjectGraph.write(ins, tree);
                        treeParent = parent;
                        if (attempt == 0 && parent == null && tree.files().isEmpty()) {
                            throw new BadInputException(only ? "nothing to commit: no weight files under the paths given"
                                : "nothing to commit: no files staged (use 'coral add')");
                        }
                    }
                    if (attempt == 0 && parent != null && mergedParents.isEmpty() && graph.commit(parent).tree().equals(treeId)) {
                        throw new BadInputException("nothing to commit: " + (only ? ownPaths(pending) : "the staged files are as in")
                                + " " + parent.abbreviate(12));
                    }
                    if (expectedParent != null && !expectedParent.equals(java.util.Optional.ofNullable(parent))) {
                        throw new LockFailedException("the branch moved to " + (parent == null ? "nothing" : parent.abbreviate(12))
                                + " while this commit was prepared (--no-rebase): nothing was committed; commit again");
                    }
                    List<ObjectId> parents = new java.util.ArrayList<>();
                    if (parent != null) {
                        parents.add(parent);
                    }
                    parents.addAll(mergedParents);
                    Commit c = new Commit(treeId, parents, request.author(),
                            System.currentTimeMillis(), request.message(), request.metrics(), lossyEps);
                    // the first commit of a branch: if the branch is not made after its commit is stored, the commit is known for a failed one
                    try (RootAttempts.Attempt first = parent == null && !head.isDetached() ? new RootAttempts(repo.coralDir()).begin() : null) {
                        ObjectId id = ObjectGraph.write(ins, c);
                        tried = id;
                        try {
                            ins.flush();
                            if (first != null) {
                                first.stored(id);
                            }
                            if (indexChanged) {
                                repo.writeIndex(index);
                                indexChanged = false;
                                indexWritten = true;
                            }
                            FaultPoints.hit("commit.objectsWrittenBeforeRef");
                            if (head.isDetached()) {
                                refs.setHeadDetached(id);
                                return id;
                            }
                            // Only a ref update outside the staging lock (none of Coral's own: branch -f, -m and reset hold it; a
                            // ref file written by hand) can move the branch here: the snapshot is whole, so re-parent it.
                            if (refs.updateBranch(head.branch(), parent, id) == Refs.UpdateResult.UPDATED) {
                                return id;
                            }
                        } catch (IOException | RuntimeException e) {
                            if (first != null) {
                                first.failedAfter(id, e);
                            }
                            throw e;
                        }
                    }
                }
                throw new LockFailedException("the branch kept moving under " + MAX_ATTEMPTS + " attempts to commit; try again");
            } catch (IOException | RuntimeException e) {
                if (indexWritten) {
                    putBack(before, tried, e);
                }
                throw e;
            }
        }
    }

    /**
     * Whether any pack holds a commit but those failed first commits left ({@link RootAttempts}):
     * a root commit then is on a lost branch ({@link Refs#lostBranch}). Read only for a root
     * commit: a first one reads the few packs its adds wrote.
     */
    private boolean storesACommit() throws IOException {
        return repo.graph().store().holdsBesides(dev.coral.store.ObjectKind.COMMIT, new RootAttempts(repo.coralDir()).failed());
    }

    /** How long a root commit beside stored commits waits for its branch to appear. */
    static final long BRANCH_WAIT_MILLIS = 2000;

    /**
     * The branch's commit once another writer's first commit, whose pack is written, has made it;
     * refuses after {@value #BRANCH_WAIT_MILLIS} ms without one.
     */
    private static ObjectId awaitBranch(Refs refs, String branch) throws IOException {
        long until = System.nanoTime() + BRANCH_WAIT_MILLIS * 1_000_000;
        do {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for branch " + branch);
            }
            ObjectId id = refs.branch(branch);
            if (id != null) {
                return id;
            }
        } while (System.nanoTime() < until);
        throw Refs.lostBranch(branch);
    }

    /**
     * After a commit failed past writing the staging index (its ref lock held, say), puts back the
     * index as it was, so that the paths a {@code commit PATH} or {@code commit -a} staged are not
     * left staged by a command that failed; unless HEAD did move to the commit ({@code tried}).
     */
    private void putBack(StagingIndex before, ObjectId tried, Exception failure) {
        try {
            if (tried == null || !tried.equals(repo.refs().headCommit())) {
                repo.writeIndex(before);
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The tree of {@code parent} (none: empty) with the commit's own paths as {@code index} stages them, its removals removed. */
    private Tree ownOnto(ObjectId parent, Repository.StagedChanges pending, StagingIndex index) throws IOException {
        TreeMap<String, ObjectId> files = new TreeMap<>(parent == null ? Map.of() : repo.readTree(parent).files());
        for (String path : pending.put().keySet()) {
            files.put(path, index.entries().get(path).fileEntry());
        }
        pending.remove().forEach(files::remove);
        return new Tree(files);
    }

    /** The commit's own paths as a message names them ("a is as in", "a, b, c and 2 more are as in"). */
    private static String ownPaths(Repository.StagedChanges pending) {
        List<String> all = new java.util.ArrayList<>(pending.put().keySet());
        all.addAll(pending.remove());
        java.util.Collections.sort(all);
        if (all.isEmpty()) {
            return "no weight files under the paths given; HEAD is";
        }
        String shown = String.join(", ", all.subList(0, Math.min(3, all.size())));
        return (all.size() > 3 ? shown + " and " + (all.size() - 3) + " more" : shown) + (all.size() == 1 ? " is as in" : " are as in");
    }

    /**
     * Refuses a tree holding a file at a path where another file's folder is ({@code a} and
     * {@code a/b.safetensors}): no checkout could write both (found by fuzzing the Java API:
     * such commits were taken, fsck called them clean, and checking them out failed).
     */
    static void requireNoFileWhereAFolderIs(java.util.Set<String> paths) throws BadInputException {
        for (String p : paths) {
            for (int slash = p.indexOf('/'); slash >= 0; slash = p.indexOf('/', slash + 1)) {
                String folder = p.substring(0, slash);
                if (paths.contains(folder)) {
                    throw new BadInputException("'" + folder + "' and '" + p + "': a file and a folder of the same name cannot both be "
                            + "committed (remove one: coral rm --cached '" + folder + "')");
                }
            }
        }
    }

    /**
     * The staging index a lossy commit records, and whether it holds a lossy file entry that HEAD
     * does not and where a tensor was quantized: what makes the commit lossy. A {@code commit
     * --lossy} that quantized nothing (the first commit, only new files, or changes only to
     * tensors with nothing to be quantized against: integers, floats whose dtype or size changed)
     * is bit-exact and not marked lossy.
     */
    private record Quantized(StagingIndex index, boolean storesLossy) {
    }

    /**
     * Replaces every file staged at one of {@code paths} that changed since HEAD (and existed there) by its lossy version,
     * quantized against HEAD's version. New files and unchanged ones stay as they are, and so do
     * files staged lossy already ({@code commit --lossy PATH...}, a lossy {@code commitTensors}).
     * {@code pending.lossy()} names the entries staged lossy by this commit itself, which may still be
     * in {@code carried} (may be null): the objects staged and not flushed yet, flushed before the
     * first file is read back, and only then, so that a commit with nothing to rewrite stays one pack.
     */
    private Quantized quantize(StagingIndex index, java.util.Set<String> paths, String eps, ObjectInserter carried,
                               Repository.StagedChanges pending) throws IOException {
        java.util.Set<ObjectId> storedLossy = pending.lossy();
        ObjectId head = repo.headCommit();
        if (head == null) {
            return new Quantized(index, false);
        }
        boolean lossy = pending.quantized(); // an entry this commit stored lossy (other than HEAD's) where a tensor was quantized
        Tree parent = repo.readTree(head);
        TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(index.entries());
        try (ObjectInserter ins = repo.newInserter(true); ChunkSink sink = ins.newChunkSink(repo.ingestThreads())) {
            LossyRewrite rewrite = new LossyRewrite(repo.graph(), ins, sink, repo.config().chunkBytes());
            for (Map.Entry<String, StagingIndex.Entry> e : index.entries().entrySet()) {
                if (!paths.contains(e.getKey())) {
                    continue;
                }
                ObjectId before = parent.files().get(e.getKey());
                StagingIndex.Entry staged = e.getValue();
                if (before == null || before.equals(staged.fileEntry()) || storedLossy.contains(staged.fileEntry())) {
                    continue;
                }
                if (carried != null) {
                    carried.flush(); // the staged file is read back
                    carried = null;
                }
                FileEntry stagedFile = repo.graph().file(staged.fileEntry());
                if (stagedFile.isLossy()) {
                    lossy = true;
                    continue;
                }
                ObjectId rewritten = rewrite.rewrite(stagedFile, before, eps, e.getKey());
                next.put(e.getKey(), new StagingIndex.Entry(rewritten, staged.size(), staged.mtimeMillis(), staged.changeStamp(),
                        staged.sha256(), staged.unsynced()));
            }
            ins.flush();
            lossy |= rewrite.wroteLossy();
        }
        return new Quantized(new StagingIndex(next), lossy);
    }
}
