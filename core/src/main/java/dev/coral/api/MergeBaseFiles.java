package dev.coral.api;

import dev.coral.repo.RangeWalk;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The files a merge compares both sides with: those of the merge base of the two commits, and
 * where there are several (a criss-cross history: each side merged the other's earlier work) those
 * of git's virtual merge base, the bases merged into one, oldest first, each pair against its own
 * merge base (found the same way), a file both changed taking that base's version, as git's
 * {@code merge-ort} merges binary files inside a virtual base. Until 2026-12-07 the merge took
 * one of the bases, whichever a hash set gave first: the same merge, made twice, could take
 * another side's file (found by {@code perf/tools/log-paths-differential.py}, one seed in three).
 */
final class MergeBaseFiles {
    /**
     * The version of a file both bases added, each its own way: git's virtual base holds an empty
     * file there, which no side's file equals; so does this id.
     */
    static final ObjectId NO_COMMON_VERSION = ObjectId.fromBytes(new byte[32]);

    private final Repository repo;
    private final RangeWalk walk;
    private final Map<ObjectId, Map<String, ObjectId>> virtualTrees = new HashMap<>();

    MergeBaseFiles(Repository repo) {
        this.repo = repo;
        this.walk = new RangeWalk(repo.graph());
    }

    /** The base's files for a merge of {@code ours} and {@code theirs}: path to file entry; empty when they share no history. */
    Map<String, ObjectId> of(ObjectId ours, ObjectId theirs) throws IOException {
        List<ObjectId> bases = new ArrayList<>(walk.mergeBases(ours, theirs));
        if (bases.isEmpty()) {
            return Map.of();
        }
        Collections.reverse(bases); // oldest first, as merge-ort takes them
        ObjectId merged = bases.get(0);
        Map<String, ObjectId> files = files(merged);
        for (ObjectId next : bases.subList(1, bases.size())) {
            files = mergedInside(of(merged, next), files, files(next));
            merged = walk.virtualCommit(List.of(merged, next));
            virtualTrees.put(merged, files);
        }
        return files;
    }

    private Map<String, ObjectId> files(ObjectId commit) throws IOException {
        Map<String, ObjectId> virtual = virtualTrees.get(commit);
        return virtual != null ? virtual : repo.readTree(commit).files();
    }

    /**
     * Two bases' files merged for a virtual base: a file changed on one side only is taken from
     * it, one changed on both (or deleted on one and changed on the other) keeps {@code base}'s
     * version, or {@link #NO_COMMON_VERSION} where the base has none.
     */
    static Map<String, ObjectId> mergedInside(Map<String, ObjectId> base, Map<String, ObjectId> one, Map<String, ObjectId> two) {
        Set<String> paths = new HashSet<>(base.keySet());
        paths.addAll(one.keySet());
        paths.addAll(two.keySet());
        Map<String, ObjectId> out = new HashMap<>();
        for (String p : paths) {
            ObjectId b = base.get(p);
            ObjectId o = one.get(p);
            ObjectId t = two.get(p);
            ObjectId merged;
            if (Objects.equals(o, t) || Objects.equals(t, b)) {
                merged = o;
            } else if (Objects.equals(o, b)) {
                merged = t;
            } else {
                merged = b != null ? b : NO_COMMON_VERSION;
            }
            if (merged != null) {
                out.put(p, merged);
            }
        }
        return out;
    }
}
