package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import dev.coral.io.SeenFile;
import dev.coral.repo.FileEntry;
import dev.coral.repo.FileIngest;
import dev.coral.repo.FileRestore;
import dev.coral.repo.Refs;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.Tree;
import dev.coral.repo.WorkTree;
import dev.coral.repo.WorkTreeLeftovers;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Restores working files from a commit. A whole checkout refuses to overwrite local changes
 * (unless forced), keeps staged versions where the target has HEAD's version (as git carries
 * them), writes only files that differ, deletes files the target does not track,
 * replaces the staging index and moves HEAD (to the branch when the revision is a branch name,
 * else detached).
 */
final class Checkout {
    private final Repository repo;

    Checkout(Repository repo) {
        this.repo = repo;
    }

    Repository.CheckoutResult all(String revision, boolean force, ProgressListener progress) throws IOException {
        boolean isBranch = repo.refs().isBranch(revision);
        ObjectId target = repo.resolve(isBranch ? "refs/heads/" + revision : revision); // the branch, not a tag of its name
        Tree tree = repo.readTree(target);
        try (RepositoryLock.Held l = repo.lockIndex();
             Refs.HeadUpdate headUpdate = isBranch || !revision.equals("HEAD") ? repo.refs().lockHead() : null) {
            Repository.CheckoutResult r = writeTree(target, tree, revision, force, progress);
            if (isBranch) {
                headUpdate.toBranch(revision);
            } else if (headUpdate != null) {
                headUpdate.toCommit(target);
            }
            return r;
        }
    }

    /**
     * The files and staging index of a whole checkout of {@code tree}, commit {@code target}
     * (named {@code revision} in errors), under the staging index's lock, which the caller
     * holds; HEAD and the refs are the caller's to move. {@link Reset} --hard calls it forced.
     */
    Repository.CheckoutResult writeTree(ObjectId target, Tree tree, String revision, boolean force, ProgressListener progress)
            throws IOException {
        WorkTree wt = repo.workTree();
        FileRestore restore = new FileRestore(repo.graph(), repo.config().checkoutFsync());
        repo.store().noteRestore();
        List<String> written = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        StagingIndex index;
        try {
            index = repo.readIndex();
        } catch (CorruptObjectException e) {
            if (!force) {
                throw new CorruptObjectException(e.getMessage() + " (checkout --force rebuilds it from " + revision + ")");
            }
            index = new StagingIndex(new TreeMap<>()); // forced: the target tree rebuilds it
        }
        // staged versions that stay staged, as git carries them: the target has HEAD's version of the path
        // (forced, HEAD is not read: a forced checkout is how a damaged HEAD is replaced)
        ObjectId head = force ? null : repo.headCommit();
        Map<String, ObjectId> headFiles = head == null ? Map.of() : repo.readTree(head).files();
        Set<String> carried = force ? Set.of() : stagedAndCarried(index, headFiles, tree);
        Set<String> toWrite = new TreeSet<>(tree.files().keySet());
        toWrite.removeAll(carried);
        Set<String> toDelete = new TreeSet<>();
        for (String path : index.entries().keySet()) {
            if (!tree.files().containsKey(path) && !carried.contains(path)) {
                toDelete.add(path);
            }
        }
        refuseBlockedPaths(toWrite, wt, toDelete);
        // what is at each path as the check for local changes looks: replaced or deleted only if still so (not forced)
        Map<String, SeenFile> seen = force ? Map.of() : seen(wt, java.util.stream.Stream.concat(toWrite.stream(), toDelete.stream()).toList());
        if (!force) {
            refuseToLoseWork(index, headFiles, tree, carried, wt);
        }
        FaultPoints.hit("checkout.checked");
        List<String> leftAsFound = new ArrayList<>();
        // deleted first, as git does, so that a file the target tracks as a folder (or the other way) makes way
        for (String path : toDelete) {
            switch (wt.deleteWithEmptyFolders(path, seen.get(path))) {
                case DELETED -> deleted.add(path);
                case LEFT -> leftAsFound.add(path); // written again by another process since: untracked now, as if written after
                case NONE -> { }
            }
        }
        TreeMap<String, StagingIndex.Entry> next = new TreeMap<>();
        for (String path : carried) {
            if (index.entries().containsKey(path)) { // else a staged removal, which stays one
                next.put(path, index.entries().get(path));
            }
        }
        RestoredFiles.Written unstaged = repo.restoredFiles().read();
        int i = 0;
        for (Map.Entry<String, ObjectId> f : tree.files().entrySet()) {
            String path = f.getKey();
            progress.step("checking out", ++i, tree.files().size(), path);
            if (carried.contains(path)) {
                continue;
            }
            StagingIndex.Entry cur = index.entries().get(path);
            // Unchanged between index and target: a local edit is kept, as git keeps it, unless forced; so is a
            // deletion not staged (it came back before, where an edit stayed: found by fuzzing)
            boolean unchanged = cur != null && cur.fileEntry().equals(f.getValue()) && cur.size() >= 0;
            if (unchanged && !force && !wt.exists(path)) {
                next.put(path, cur);
                continue;
            }
            StagingIndex.Entry kept = unchanged && wt.exists(path) ? keptEntry(wt, path, cur, force, repo.graph().recordedContent()) : null;
            if (kept != null) {
                next.put(path, kept);
                continue;
            }
            FileEntry entry = repo.graph().file(f.getValue());
            Path file = wt.file(WorkTree.checkRepoPath(path));
            FileRestore.Restored r = restore.restore(entry, file, path, unstaged.atHand(path, file, cur), seen.get(path));
            if (r.leftAsFound()) { // another process wrote the file after the check: kept, the target's version staged under it
                next.put(path, leftUnder(f.getValue(), entry));
                leftAsFound.add(path);
                continue;
            }
            next.put(path, entryOf(f.getValue(), r));
            unstaged.staged(path);
            written.add(path);
        }
        FaultPoints.hit("checkout.filesWritten");
        Set<String> touched = new TreeSet<>(tree.files().keySet());
        touched.addAll(index.entries().keySet());
        removeLeftovers(wt, touched);
        new StagingIndex(next).write(repo.indexFile());
        unstaged.save();
        repo.stepsBack().checkedOut(headBefore(), target, tree);
        return new Repository.CheckoutResult(target, written, deleted, leftAsFound);
    }

    /**
     * What is at each of these working paths now, for a checkout or merge to replace or delete
     * only that; nothing where a folder is (a folder in the place of a file to write holds only
     * files the checkout deletes, {@link #refuseBlockedPaths}: it makes way; one at a path to
     * delete is never deleted).
     */
    static Map<String, SeenFile> seen(WorkTree wt, Collection<String> paths) throws IOException {
        Map<String, SeenFile> seen = new java.util.HashMap<>();
        for (String p : paths) {
            Path f = wt.file(p);
            seen.put(p, Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS) ? SeenFile.ABSENT : SeenFile.of(f));
        }
        return seen;
    }

    /** The commit HEAD names before a checkout moves it, or null (none yet, or HEAD cannot be read: a forced checkout replaces it). */
    private ObjectId headBefore() {
        try {
            return repo.headCommit();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The entry of a file the target tracks as the index does, if it stays as it is: always
     * unless forced; forced, only when it still matches (an entry to compare by content comes
     * back restamped when it does); else null, to be written.
     */
    private static StagingIndex.Entry keptEntry(WorkTree wt, String path, StagingIndex.Entry cur, boolean force, WorkTree.RecordedContent recorded)
            throws IOException {
        if (!force) {
            return cur;
        }
        if (cur.mtimeMillis() == StagingIndex.UNVERIFIED) {
            WorkTree.ContentCheck c = wt.checkContent(path, cur, recorded);
            return !c.matches() ? null : c.restamped() != null ? c.restamped() : cur;
        }
        return wt.differs(path, cur, recorded) ? null : cur;
    }

    /** The entry staging version {@code id} under a file another process wrote: compared by content, so status sees the change. */
    static StagingIndex.Entry leftUnder(ObjectId id, FileEntry entry) {
        return new StagingIndex.Entry(id, entry.fileSize(), StagingIndex.UNVERIFIED, entry.fileSha256());
    }

    static StagingIndex.Entry entryOf(ObjectId fileEntry, FileRestore.Restored r) {
        return new StagingIndex.Entry(fileEntry, r.stat(), r.unsynced());
    }

    /**
     * The paths whose staged state is not HEAD's while the target has HEAD's version: a staged
     * version (of a new file too, which neither has) or a staged removal. A plain checkout keeps
     * them staged and their files as they are, as git does, rather than putting back HEAD's
     * version over the only copy of the staged one.
     */
    private static Set<String> stagedAndCarried(StagingIndex index, Map<String, ObjectId> headFiles, Tree target) {
        Set<String> carried = new TreeSet<>();
        index.entries().forEach((p, e) -> {
            ObjectId inHead = headFiles.get(p);
            if (!e.fileEntry().equals(inHead) && java.util.Objects.equals(target.files().get(p), inHead)) {
                carried.add(p);
            }
        });
        headFiles.forEach((p, inHead) -> {
            if (!index.entries().containsKey(p) && inHead.equals(target.files().get(p))) {
                carried.add(p); // removed from the index (rm --cached) and the same in the target
            }
        });
        return carried;
    }

    /**
     * A plain checkout's refusal to lose work: "checkout would overwrite WHAT; REMEDY". A command
     * that checks out on its way (a merge's fast-forward) words it as its own from {@link #what}.
     */
    static final class WouldOverwrite extends BadInputException {
        private static final long serialVersionUID = 1L;
        private final String what;

        WouldOverwrite(String what, String remedy) {
            super("checkout would overwrite " + what + "; " + remedy);
            this.what = what;
        }

        /** What the checkout would overwrite: {@code local changes to m.safetensors}. */
        String what() {
            return what;
        }
    }

    /**
     * Refuses a plain checkout that would lose work: a local change to a file it writes or
     * deletes, a staged version it would replace (the target has neither it nor HEAD's version),
     * an untracked file where it writes one, a file other than its version where the index has a
     * version staged from memory (commitTensors), which recorded no file.
     */
    private void refuseToLoseWork(StagingIndex index, Map<String, ObjectId> headFiles, Tree tree, Set<String> carried, WorkTree wt)
            throws IOException {
        for (Map.Entry<String, StagingIndex.Entry> e : index.entries().entrySet()) {
            String p = e.getKey();
            ObjectId want = tree.files().get(p);
            boolean changes = want == null || !want.equals(e.getValue().fileEntry());
            if (carried.contains(p)) {
                continue;
            }
            // staged from memory, no file recorded: the checkout writes (or deletes) whatever is at the path
            if (e.getValue().size() < 0 && repo.holdsOtherWork(p, e.getValue())) {
                throw new WouldOverwrite(p + ", which is not the version staged from memory there", "move it away, or use --force");
            }
            if (!changes) {
                continue;
            }
            if (!e.getValue().fileEntry().equals(headFiles.get(p))) {
                throw new WouldOverwrite("the version of " + p + " staged for the next commit", "commit it, or use --force");
            }
            if (e.getValue().size() >= 0 && repo.holdsOtherWork(p, e.getValue())) {
                throw new WouldOverwrite("local changes to " + p, "add and commit them, or use --force");
            }
        }
        for (String p : tree.files().keySet()) {
            if (!index.entries().containsKey(p) && !carried.contains(p) && headFiles.containsKey(p)) {
                // rm staged its removal, and the target has another version (the same one is carried): as git refuses
                throw new WouldOverwrite("the removal of " + p + " staged for the next commit", "commit it, or use --force");
            }
            if (!index.entries().containsKey(p) && !carried.contains(p) && wt.exists(p)) {
                throw new WouldOverwrite("untracked file " + p, "move it away, or use --force");
            }
        }
    }

    Repository.CheckoutResult paths(String revision, Collection<Path> paths) throws IOException {
        return paths(revision, paths, Map.of());
    }

    /**
     * As {@link #paths(String, Collection)}; a path in {@code seen} is written only over what was
     * seen there (a merge's files, noted before it found the working folder clean): one another
     * process wrote since is left as written, the revision's version staged under it.
     */
    Repository.CheckoutResult paths(String revision, Collection<Path> paths, Map<String, SeenFile> seen) throws IOException {
        ObjectId target = repo.resolve(revision);
        Tree tree = repo.readTree(target);
        WorkTree wt = repo.workTree();
        Set<String> wanted = new java.util.LinkedHashSet<>(); // overlapping paths name a file once
        for (Path p : paths) {
            String rp = wt.repoPath(p);
            List<String> hit = tree.files().keySet().stream().filter(k -> WorkTree.isUnder(k, rp)).toList();
            if (hit.isEmpty()) {
                throw new BadInputException(p + ": not in " + revision);
            }
            wanted.addAll(hit);
        }
        FileRestore restore = new FileRestore(repo.graph(), repo.config().checkoutFsync());
        repo.store().noteRestore();
        List<String> written = new ArrayList<>();
        List<String> leftAsFound = new ArrayList<>();
        refuseBlockedPaths(wanted, wt);
        try (RepositoryLock.Held l = repo.lockIndex()) {
            TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(repo.readIndex().entries());
            RestoredFiles.Written unstaged = repo.restoredFiles().read();
            for (String path : wanted) {
                ObjectId id = tree.files().get(path);
                Path file = wt.file(path);
                FileEntry entry = repo.graph().file(id);
                FileRestore.Restored r = restore.restore(entry, file, path, unstaged.atHand(path, file, next.get(path)), seen.get(path));
                if (r.leftAsFound()) {
                    next.put(path, leftUnder(id, entry));
                    leftAsFound.add(path);
                    continue;
                }
                next.put(path, entryOf(id, r));
                unstaged.staged(path);
                written.add(path);
            }
            removeLeftovers(wt, wanted);
            new StagingIndex(next).write(repo.indexFile());
            unstaged.save();
        }
        repo.stepsBack().restored(target, wanted, tree.files());
        return new Repository.CheckoutResult(target, written, List.of(), leftAsFound);
    }

    /**
     * Refuses, before anything is written, a checkout whose files cannot be written where they
     * belong: a folder at a file's path, or a file (or a link to one) at one of its folders'.
     * Forced or not: either is the user's, untracked, and not Coral's to delete.
     */
    static void refuseBlockedPaths(Collection<String> paths, WorkTree wt) throws IOException {
        refuseBlockedPaths(paths, wt, Set.of());
    }

    /**
     * As {@link #refuseBlockedPaths(Collection, WorkTree)}, for a checkout that deletes the tracked
     * files {@code deleting} before it writes: a file of those where a folder goes, or a folder
     * holding only those where a file goes, makes way (switching between a branch that tracks
     * {@code m.npy} and one that tracks {@code m.npy/y.npy}, as git does).
     */
    static void refuseBlockedPaths(Collection<String> paths, WorkTree wt, Set<String> deleting) throws IOException {
        for (String p : paths) {
            Path f = wt.file(WorkTree.checkRepoPath(p));
            Path link = wt.linkAbove(f);
            if (link != null) {
                throw new BadInputException("checkout would write " + p + " through " + wt.repoPath(link) + ", a symbolic link (Coral does "
                        + "not write through links to folders in the working folder); replace it with a folder or move it away");
            }
            if (Files.isDirectory(f) && !holdsOnly(wt, f, deleting)) {
                throw new BadInputException("checkout would write " + p + " where a folder is; move it away");
            }
            for (Path d = f.getParent(); d != null && !d.equals(wt.root()); d = d.getParent()) {
                if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d) && !deleting.contains(wt.repoPath(d))) {
                    throw new BadInputException("checkout would write " + p + " where " + wt.repoPath(d) + " is a file; move it away");
                }
            }
        }
    }

    /** Whether every file under {@code folder} (not a link) is one of {@code deleting}: the folder goes with them. */
    private static boolean holdsOnly(WorkTree wt, Path folder, Set<String> deleting) throws IOException {
        if (deleting.isEmpty() || Files.isSymbolicLink(folder)) {
            return false;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(folder)) {
            for (Path q : (Iterable<Path>) s::iterator) {
                if (!Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS) && !deleting.contains(wt.repoPath(q))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Removes what a checkout that died left beside these files ({@link WorkTreeLeftovers}); under the index lock. */
    static void removeLeftovers(WorkTree wt, Collection<String> paths) throws IOException {
        List<Path> files = new ArrayList<>(paths.size());
        for (String p : paths) {
            Path f = wt.file(p);
            if (wt.linkAbove(f) == null) { // a folder beyond a link is not the working folder's, its leftovers not ours
                files.add(f);
            }
        }
        WorkTreeLeftovers.removeStale(files, System.currentTimeMillis());
    }
}
