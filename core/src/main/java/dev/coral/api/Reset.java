package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.LockFailedException;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.Refs;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * git's {@code reset}: moves the current branch (or a detached HEAD) to a commit, HEAD staying on
 * the branch; {@link Mode#MIXED} also makes the staging index that commit's tree, and
 * {@link Mode#HARD} the tracked working files too (as a forced checkout writes them). The commit
 * HEAD was at is kept as {@code ORIG_HEAD}, a root for gc, so a reset made by mistake is undone by
 * {@code reset --hard ORIG_HEAD}. It holds the staging index's lock and HEAD's throughout, so no
 * commit, checkout or other reset runs meanwhile.
 */
final class Reset {
    private final Repository repo;

    Reset(Repository repo) {
        this.repo = repo;
    }

    /**
     * Resets to {@code revision}; before the first commit, {@code revision} HEAD (the only one
     * there is) with {@link Mode#MIXED} unstages everything, as git's does.
     */
    Repository.CheckoutResult run(String revision, Repository.ResetMode mode, ProgressListener progress) throws IOException {
        return run(revision, mode, progress, true, null);
    }

    /**
     * A merge's fast-forward from {@code from} to {@code to}: a hard reset that writes the files
     * as a plain checkout does (git's {@code reset --keep}: it refuses to lose a local change,
     * and leaves a file another process writes meanwhile), and only while the branch is still at
     * {@code from}: a commit another writer made on it since the merge began is not dropped.
     */
    Repository.CheckoutResult fastForward(ObjectId from, ObjectId to) throws IOException {
        return run(to.hex(), Repository.ResetMode.HARD, ProgressListener.NONE, false, from);
    }

    private Repository.CheckoutResult run(String revision, Repository.ResetMode mode, ProgressListener progress, boolean overwriting,
                                          ObjectId expectedBefore) throws IOException {
        Refs refs = repo.refs();
        try (RepositoryLock.Held l = repo.lockIndex(); Refs.HeadUpdate headUpdate = refs.lockHead()) {
            Refs.Head head = refs.head();
            ObjectId before = head.isDetached() ? head.detached() : refs.branch(head.branch());
            if (before == null && revision.equals("HEAD")) {
                if (mode != Repository.ResetMode.MIXED) {
                    throw new BadInputException("HEAD has no commit yet: nothing to reset to (coral reset unstages everything)");
                }
                new StagingIndex(new TreeMap<>()).write(repo.indexFile());
                return new Repository.CheckoutResult(null, List.of(), List.of(), List.of());
            }
            if (expectedBefore != null && !expectedBefore.equals(before)) {
                throw new LockFailedException("merge: " + (head.isDetached() ? "HEAD" : "branch '" + head.branch() + "'") + " moved to "
                        + (before == null ? "nothing" : before.abbreviate(12)) + " (another commit) while the merge ran; nothing was changed: merge again");
            }
            ObjectId target = repo.resolve(revision);
            Tree tree = repo.readTree(target);
            Repository.CheckoutResult result = new Repository.CheckoutResult(target, List.of(), List.of(), List.of());
            if (mode == Repository.ResetMode.HARD) {
                result = new Checkout(repo).writeTree(target, tree, revision, overwriting, progress);
            } else if (mode == Repository.ResetMode.MIXED) {
                restage(tree);
            }
            if (before != null) {
                refs.setOrigHead(before);
            }
            if (head.isDetached()) {
                headUpdate.toCommit(target);
            } else if (refs.updateBranch(head.branch(), before, target) != Refs.UpdateResult.UPDATED) {
                // only a ref update outside the staging lock (a branch moved by hand) gets here
                throw new LockFailedException("branch '" + head.branch() + "' moved while it was reset; "
                        + (mode == Repository.ResetMode.SOFT ? "nothing changed" : "the staging index" + (mode == Repository.ResetMode.HARD ? " and the files" : "")
                        + " are " + target.abbreviate(12) + "'s") + ": reset again");
            }
            return result;
        }
    }

    /**
     * The staging index becomes {@code tree}'s files: an entry that already stages a file's
     * version there is kept as it is (its working file's time and size stay known); the others
     * are staged as that version, their working files to be compared by content.
     */
    private void restage(Tree tree) throws IOException {
        Map<String, StagingIndex.Entry> current;
        try {
            current = repo.readIndex().entries();
        } catch (CorruptObjectException e) {
            current = Map.of(); // a damaged staging index is what a reset rebuilds
        }
        TreeMap<String, StagingIndex.Entry> next = new TreeMap<>();
        for (Map.Entry<String, ObjectId> f : tree.files().entrySet()) {
            StagingIndex.Entry cur = current.get(f.getKey());
            next.put(f.getKey(), cur != null && cur.fileEntry().equals(f.getValue()) ? cur : repo.graph().unverified(f.getValue()));
        }
        new StagingIndex(next).write(repo.indexFile());
    }
}
