package dev.coral.similarity;

import dev.coral.store.ObjectId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups the tensors of an {@link LshIndex} into clusters of similar content, for
 * {@code coral stats --clusters}: connected components of the graph whose edges join each tensor
 * to its nearest {@code neighbors} candidates that pass the {@link SimilarityCheck} (on the
 * sketches' check bytes). Each cluster's base is its medoid, the member with the smallest total
 * Hamming distance to the others (ties: first in the caller's order, e.g. the first stored, then
 * smallest id), the natural delta base of the rest.
 */
public final class Clusters {
    /** Members whose distance sums are computed exactly; larger clusters use this many reference members. */
    static final int MEDOID_REFERENCES = 1024;

    /**
     * A cluster.
     *
     * @param baseId       its medoid
     * @param members      every member, base first, then by increasing distance to the base (ties by id)
     * @param meanDistance mean SimHash Hamming distance (0..128) of the other members to the base; 0 for a singleton
     */
    public record Cluster(ObjectId baseId, List<ObjectId> members, double meanDistance) {
        public Cluster {
            members = List.copyOf(members);
        }

        public int size() {
            return members.size();
        }
    }

    private Clusters() {
    }

    /** Nearest candidates examined per tensor by {@code coral stats --clusters}. */
    public static final int NEIGHBORS = 8;

    /** Clusters of at least two members, with the default check and {@value #NEIGHBORS} neighbors. */
    public static List<Cluster> of(LshIndex index) {
        return of(index, new SimilarityCheck(), NEIGHBORS, false);
    }

    /**
     * The clusters of {@code index}, largest first (ties by base id).
     *
     * @param neighbors         nearest candidates examined per tensor
     * @param includeSingletons whether tensors similar to no other are returned as clusters of one
     */
    public static List<Cluster> of(LshIndex index, SimilarityCheck check, int neighbors, boolean includeSingletons) {
        return of(index, check, neighbors, includeSingletons, Comparator.naturalOrder());
    }

    /**
     * As {@link #of(LshIndex, SimilarityCheck, int, boolean)}; members equally central are
     * ordered by {@code ties} (then by id), the first of them being the base: in a cluster of two
     * both are, and the one stored first is the base its copies were delta-encoded against.
     */
    public static List<Cluster> of(LshIndex index, SimilarityCheck check, int neighbors, boolean includeSingletons,
                                   Comparator<ObjectId> ties) {
        Map<ObjectId, TensorSketch> entries = index.entries();
        List<ObjectId> ids = new ArrayList<>(entries.keySet());
        Map<ObjectId, Integer> slot = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            slot.put(ids.get(i), i);
        }
        int[] parent = new int[ids.size()];
        for (int i = 0; i < parent.length; i++) {
            parent[i] = i;
        }
        for (int i = 0; i < ids.size(); i++) {
            TensorSketch s = entries.get(ids.get(i));
            for (LshIndex.Candidate c : index.candidates(s, neighbors, 128, ids.get(i))) {
                Integer j = slot.get(c.id());
                if (j != null && check.compare(s, c.sketch()).similar()) {
                    union(parent, i, j);
                }
            }
        }
        Map<Integer, List<ObjectId>> components = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            components.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(ids.get(i));
        }
        List<Cluster> out = new ArrayList<>();
        for (List<ObjectId> members : components.values()) {
            if (members.size() >= 2 || includeSingletons) {
                out.add(cluster(members, entries, ties.thenComparing(Comparator.naturalOrder())));
            }
        }
        out.sort(Comparator.comparingInt(Cluster::size).reversed().thenComparing(Cluster::baseId));
        return out;
    }

    private static Cluster cluster(List<ObjectId> members, Map<ObjectId, TensorSketch> entries, Comparator<ObjectId> ties) {
        members.sort(ties);
        int m = members.size();
        TensorSketch[] s = new TensorSketch[m];
        for (int i = 0; i < m; i++) {
            s[i] = entries.get(members.get(i));
        }
        int refs = Math.min(m, MEDOID_REFERENCES);
        int best = 0;
        long bestSum = Long.MAX_VALUE;
        for (int i = 0; i < m; i++) {
            long sum = 0;
            for (int r = 0; r < refs; r++) {
                sum += s[i].distance(s[(int) ((long) r * m / refs)]);
            }
            if (sum < bestSum) {
                bestSum = sum;
                best = i;
            }
        }
        TensorSketch base = s[best];
        ObjectId baseId = members.get(best);
        List<ObjectId> ordered = new ArrayList<>(members);
        ordered.sort(Comparator.comparing((ObjectId id) -> !id.equals(baseId))
                .thenComparingInt(id -> entries.get(id).distance(base))
                .thenComparing(ties));
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += s[i].distance(base);
        }
        return new Cluster(baseId, ordered, m > 1 ? total / (m - 1) : 0);
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }
}
