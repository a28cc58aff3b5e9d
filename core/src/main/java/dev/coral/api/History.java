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
import dev.coral.repo.Tree;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes commits. Each commit is a full snapshot of the staged tree, so when another writer moved
 * the branch between reading its tip and updating it, the commit is re-parented onto the new tip
 * and the compare-and-swap retried (bounded).
 */
final class History {
    private static final int MAX_ATTEMPTS = 16;
    private final Repository repo;

    History(Repository repo) {
        this.repo = repo;
    }

    /**
     * Commits the staged tree, after applying {@code pending} to the staging index. The whole
     * step holds the staging lock, so concurrent commits (threads or processes) are serialized:
     * each one's snapshot includes everything staged before it, and none is lost or reverted.
     * With {@code expectedParent} present (no rebase), the commit fails unless the branch is
     * still where it was when the caller began (empty: unborn).
     */
    ObjectId commit(CommitRequest request, Repository.StagedChanges pending, java.util.Optional<ObjectId> expectedParent)
            throws IOException {
        return commit(request, pending, expectedParent, null);
    }

    /**
     * As {@link #commit(CommitRequest, Repository.StagedChanges, java.util.Optional)}, with the
     * objects of {@code pending} possibly still unflushed in {@code carried}: the tree and the
     * commit join them in that inserter's pack, so the commit costs one pack (its fsyncs, its
     * index file, its renames) instead of two. The staging index is written only once that pack
     * is durable, as it names the staged objects. {@code null}: a fresh inserter for the tree and
     * the commit, the staged objects being durable already.
     */
    ObjectId commit(CommitRequest request, Repository.StagedChanges pending, java.util.Optional<ObjectId> expectedParent,
                    ObjectInserter carried) throws IOException {
        if (request.message() == null || request.message().isBlank()) {
            throw new BadInputException("empty commit message (give -m MESSAGE)");
        }
        Refs refs = repo.refs();
        ObjectGraph graph = repo.graph();
        FaultPoints.hit("commit.storedBeforeLock");
        try (RepositoryLock.Held l = repo.lockIndex()) {
            StagingIndex index = pending.applyTo(repo.readIndex());
            String lossyEps = "";
            if (!request.lossyEps().isEmpty()) {
                Quantized q = quantize(index, request.lossyEps(), carried, pending.lossy());
                index = q.index();
                lossyEps = q.storesLossy() ? request.lossyEps() : "";
            }
            boolean indexChanged = pending != Repository.StagedChanges.NONE || !request.lossyEps().isEmpty();
            Tree tree = index.toTree();
            try (ObjectInserter own = carried == null ? repo.graph().store().newInserter() : null) {
                ObjectInserter ins = carried == null ? own : carried;
                ObjectId treeId = ObjectGraph.write(ins, tree);
                for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                    Refs.Head head = refs.head();
                    ObjectId parent = head.isDetached() ? head.detached() : refs.branch(head.branch());
                    if (attempt == 0 && parent != null && graph.commit(parent).tree().equals(treeId)) {
                        throw new BadInputException("nothing to commit: the staged files are as in " + parent.abbreviate(12));
                    }
                    if (expectedParent != null && !expectedParent.equals(java.util.Optional.ofNullable(parent))) {
                        throw new LockFailedException("the branch moved to " + (parent == null ? "nothing" : parent.abbreviate(12))
                                + " while this commit was prepared (--no-rebase): nothing was committed; commit again");
                    }
                    if (attempt == 0 && parent == null && tree.files().isEmpty()) {
                        throw new BadInputException("nothing to commit: no files staged (use 'coral add')");
                    }
                    Commit c = new Commit(treeId, parent == null ? List.of() : List.of(parent), request.author(),
                            System.currentTimeMillis(), request.message(), request.metrics(), lossyEps);
                    ObjectId id = ObjectGraph.write(ins, c);
                    ins.flush();
                    if (indexChanged) {
                        repo.writeIndex(index);
                        indexChanged = false;
                    }
                    FaultPoints.hit("commit.objectsWrittenBeforeRef");
                    if (head.isDetached()) {
                        refs.setHeadDetached(id);
                        return id;
                    }
                    // Only a ref update outside the staging lock (coral branch -f, a second work
                    // tree) can move the branch here: the snapshot is whole, so re-parent it.
                    if (refs.updateBranch(head.branch(), parent, id) == Refs.UpdateResult.UPDATED) {
                        return id;
                    }
                }
            }
        }
        throw new LockFailedException("the branch kept moving under " + MAX_ATTEMPTS + " attempts to commit; try again");
    }

    /**
     * The staging index a lossy commit records, and whether it holds a lossy file entry that HEAD
     * does not: what makes the commit lossy. A {@code commit --lossy} that quantized nothing (the
     * first commit, or only new files) is bit-exact and not marked lossy.
     */
    private record Quantized(StagingIndex index, boolean storesLossy) {
    }

    /**
     * Replaces every staged file that changed since HEAD (and existed there) by its lossy version,
     * quantized against HEAD's version. New files and unchanged ones stay as they are, and so do
     * files staged lossy already ({@code commit --lossy PATH...}, a lossy {@code commitTensors}).
     * {@code storedLossy} names the entries staged lossy by this commit itself, which may still be
     * in {@code carried} (may be null): the objects staged and not flushed yet, flushed before the
     * first file is read back, and only then, so that a commit with nothing to rewrite stays one pack.
     */
    private Quantized quantize(StagingIndex index, String eps, ObjectInserter carried, java.util.Set<ObjectId> storedLossy)
            throws IOException {
        ObjectId head = repo.headCommit();
        if (head == null) {
            return new Quantized(index, false);
        }
        boolean lossy = !storedLossy.isEmpty(); // entries this commit stored lossy, each other than HEAD's
        Tree parent = repo.readTree(head);
        TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(index.entries());
        try (ObjectInserter ins = repo.newInserter(); ChunkSink sink = ins.newChunkSink(repo.ingestThreads())) {
            LossyRewrite rewrite = new LossyRewrite(repo.graph(), ins, sink, repo.config().chunkBytes());
            for (Map.Entry<String, StagingIndex.Entry> e : index.entries().entrySet()) {
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
                lossy = true;
                if (stagedFile.isLossy()) {
                    continue;
                }
                ObjectId rewritten = rewrite.rewrite(stagedFile, before, eps, e.getKey());
                next.put(e.getKey(), new StagingIndex.Entry(rewritten, staged.size(), staged.mtimeMillis(), staged.sha256(),
                        staged.unsynced()));
            }
            ins.flush();
        }
        return new Quantized(new StagingIndex(next), lossy);
    }
}
