package dev.coral.api;

import dev.coral.repo.StagingIndex;
import dev.coral.repo.Tree;
import dev.coral.repo.WorkTree;
import dev.coral.repo.WorkTreeLeftovers;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Computes {@link Status}: HEAD's tree against the index, and the index against the folder. */
final class StatusScan {
    private final Repository repo;

    StatusScan(Repository repo) {
        this.repo = repo;
    }

    Status scan() throws IOException {
        repo.unreadablePaths(); // this scan's, not an earlier command's (a daemon keeps the handle)
        ObjectId head = repo.headCommit();
        Map<String, ObjectId> headFiles = head == null ? new TreeMap<>() : repo.readTree(head).files();
        StagingIndex index = repo.readIndex();
        List<Status.Change> staged = new ArrayList<>();
        index.entries().forEach((p, e) -> {
            ObjectId before = headFiles.get(p);
            if (before == null) {
                staged.add(new Status.Change(Status.Kind.ADDED, p));
            } else if (!before.equals(e.fileEntry())) {
                staged.add(new Status.Change(Status.Kind.MODIFIED, p));
            }
        });
        headFiles.keySet().stream().filter(p -> !index.entries().containsKey(p))
                .forEach(p -> staged.add(new Status.Change(Status.Kind.DELETED, p)));
        staged.sort((a, b) -> a.path().compareTo(b.path()));

        List<Status.Change> notStaged = notStaged(index, p -> true);
        WorkTree wt = repo.workTree();
        List<String> untracked = new ArrayList<>();
        List<String> unstorable = new ArrayList<>();
        List<String> leftovers = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String p : wt.weightFilesUnder(wt.root(), f -> unstorable.add(wt.root().relativize(f).toString()), repo::noteUnopened,
                f -> {
                    if (WorkTreeLeftovers.isStale(f, now)) {
                        leftovers.add(wt.root().relativize(f).toString());
                    }
                })) {
            if (!index.entries().containsKey(p)) {
                untracked.add(p);
            }
        }
        java.util.Collections.sort(leftovers);
        return new Status(repo.currentBranch(), head, staged, notStaged, untracked, unstorable, leftovers);
    }

    /**
     * The changes of the working files against {@code index} (not staged), of the paths
     * {@code selected} takes; entries verified by content are restamped, as status does.
     */
    List<Status.Change> notStaged(StagingIndex index, java.util.function.Predicate<String> selected) throws IOException {
        WorkTree wt = repo.workTree();
        WorkTree.RecordedContent recorded = repo.graph().recordedContent();
        List<Status.Change> notStaged = new ArrayList<>();
        Map<String, StagingIndex.Entry> restamped = new TreeMap<>();
        for (Map.Entry<String, StagingIndex.Entry> e : index.entries().entrySet()) {
            if (!selected.test(e.getKey())) {
                continue;
            }
            if (e.getValue().size() < 0) {
                continue; // staged from memory: no working file expected
            }
            if (!wt.exists(e.getKey())) {
                if (wt.isHidden(e.getKey())) {
                    repo.noteUnreadable(e.getKey()); // left as it was staged, as git does
                } else {
                    notStaged.add(new Status.Change(Status.Kind.DELETED, e.getKey()));
                }
            } else {
                WorkTree.ContentCheck c = e.getValue().mtimeMillis() == StagingIndex.UNVERIFIED
                        ? wt.checkContent(e.getKey(), e.getValue(), recorded) : wt.compare(e.getKey(), e.getValue(), recorded);
                if (!c.matches()) { // deleted when another process moved or deleted it while it was compared
                    notStaged.add(new Status.Change(wt.exists(e.getKey()) ? Status.Kind.MODIFIED : Status.Kind.DELETED, e.getKey()));
                } else if (c.restamped() != null) {
                    restamped.put(e.getKey(), c.restamped());
                }
            }
        }
        if (!restamped.isEmpty()) {
            repo.restampVerified(restamped);
        }
        return notStaged;
    }
}
