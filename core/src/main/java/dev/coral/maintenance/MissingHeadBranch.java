package dev.coral.maintenance;

import dev.coral.repo.Commit;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * fsck's look at a HEAD that names a branch which does not exist, in a repository that has
 * commits. In a new repository that is normal (the first commit makes the branch); with commits
 * stored it is also what a deleted {@code refs/heads/NAME} looks like, and then the commits only
 * that branch reached are left for gc. The warning names the newest of them, and how to bring the
 * branch back.
 */
final class MissingHeadBranch {
    /** How many unreached commits the warning names. */
    static final int MAX_NAMED = 3;

    private MissingHeadBranch() {
    }

    /**
     * The warning, or null when HEAD is detached, its branch exists, or no commit is stored.
     * {@code packedCommits}: every commit object the packs hold; {@code reached}: those the walk
     * from the refs reached.
     */
    static Finding check(Refs refs, ObjectGraph graph, Collection<ObjectId> packedCommits, Set<ObjectId> reached) throws IOException {
        Refs.Head head = refs.head();
        if (head.isDetached() || packedCommits.isEmpty() || refs.branch(head.branch()) != null) {
            return null;
        }
        String branch = head.branch();
        Map<ObjectId, Commit> unreached = new LinkedHashMap<>();
        for (ObjectId id : packedCommits) {
            if (!reached.contains(id)) {
                try {
                    unreached.put(id, graph.commit(id));
                } catch (IOException | RuntimeException e) {
                    // damaged: the pack's own problem
                }
            }
        }
        Set<ObjectId> parents = new HashSet<>();
        unreached.values().forEach(c -> parents.addAll(c.parents()));
        List<Map.Entry<ObjectId, Commit>> tips = new ArrayList<>();
        for (Map.Entry<ObjectId, Commit> e : unreached.entrySet()) {
            if (!parents.contains(e.getKey())) {
                tips.add(e);
            }
        }
        String message = "names branch '" + branch + "', which does not exist";
        if (tips.isEmpty()) {
            return Finding.of("HEAD", message + ", though commits are stored (all reached from other refs): the next commit "
                    + "starts it with no parent; if it was deleted, 'coral branch " + branch + " REV' brings it back");
        }
        tips.sort(Comparator.comparingLong((Map.Entry<ObjectId, Commit> e) -> e.getValue().timeMillis()).reversed()
                .thenComparing(Map.Entry::getKey));
        List<String> named = new ArrayList<>();
        for (Map.Entry<ObjectId, Commit> e : tips.subList(0, Math.min(MAX_NAMED, tips.size()))) {
            named.add(e.getKey().abbreviate(7) + " '" + e.getValue().subject() + "'");
        }
        String more = tips.size() > MAX_NAMED ? " and " + (tips.size() - MAX_NAMED) + " more" : "";
        return Finding.of("HEAD", message + "; no branch, tag or HEAD reaches " + unreached.size()
                + (unreached.size() == 1 ? " commit" : " commits") + (tips.size() == 1 ? ", whose newest is " : ", whose newest tips are ")
                + String.join(", ", named) + more + ": if the branch was deleted, 'coral branch " + branch + " "
                + tips.get(0).getKey().abbreviate(7) + "' brings it back (gc deletes unreached commits once older than its grace period)");
    }
}
