package dev.coral.repo;

import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/** Walks history newest first (by commit time, as {@code git log} does), each commit once. */
public final class CommitWalk {
    private final ObjectGraph graph;

    public CommitWalk(ObjectGraph graph) {
        this.graph = graph;
    }

    /** A commit and its id. */
    public record Entry(ObjectId id, Commit commit) {
    }

    /** What {@link #find} asks of each commit: whether it is the one sought. */
    @FunctionalInterface
    public interface Match {
        boolean matches(ObjectId id, Commit commit) throws IOException;
    }

    /**
     * Visits {@code starts} and their ancestors, each once, in no particular order, until
     * {@code match} holds for one; returns whether it did.
     */
    public boolean find(Collection<ObjectId> starts, Match match) throws IOException {
        Set<ObjectId> seen = new HashSet<>(starts);
        ArrayDeque<ObjectId> queue = new ArrayDeque<>(seen);
        while (!queue.isEmpty()) {
            ObjectId id = queue.poll();
            Commit c = graph.commit(id);
            if (match.matches(id, c)) {
                return true;
            }
            for (ObjectId p : c.parents()) {
                if (seen.add(p)) {
                    queue.add(p);
                }
            }
        }
        return false;
    }

    /** Whether {@code target} is one of {@code starts} or an ancestor of one. */
    public boolean reaches(Collection<ObjectId> starts, ObjectId target) throws IOException {
        return find(starts, (id, c) -> id.equals(target));
    }

    /**
     * Every commit reachable from {@code tips}, each after all its parents (a topological order,
     * so a clock that went back cannot put a child first), ties oldest first, then by id.
     */
    public List<Entry> parentsFirst(Collection<ObjectId> tips) throws IOException {
        Map<ObjectId, Commit> all = new HashMap<>();
        List<ObjectId> stack = new ArrayList<>(tips);
        while (!stack.isEmpty()) {
            ObjectId id = stack.remove(stack.size() - 1);
            if (all.containsKey(id)) {
                continue;
            }
            Commit c = graph.commit(id);
            all.put(id, c);
            for (ObjectId p : c.parents()) {
                if (!all.containsKey(p)) {
                    stack.add(p);
                }
            }
        }
        Map<ObjectId, Integer> pending = new HashMap<>();
        Map<ObjectId, List<ObjectId>> children = new HashMap<>();
        all.forEach((id, c) -> {
            Set<ObjectId> ps = new HashSet<>(c.parents());
            pending.put(id, ps.size());
            ps.forEach(p -> children.computeIfAbsent(p, k -> new ArrayList<>()).add(id));
        });
        PriorityQueue<ObjectId> ready = new PriorityQueue<>(
                Comparator.comparingLong((ObjectId id) -> all.get(id).timeMillis()).thenComparing(Comparator.naturalOrder()));
        pending.forEach((id, n) -> {
            if (n == 0) {
                ready.add(id);
            }
        });
        List<Entry> out = new ArrayList<>(all.size());
        while (!ready.isEmpty()) {
            ObjectId id = ready.poll();
            out.add(new Entry(id, all.get(id)));
            for (ObjectId ch : children.getOrDefault(id, List.of())) {
                if (pending.merge(ch, -1, Integer::sum) == 0) {
                    ready.add(ch);
                }
            }
        }
        return out;
    }

    /**
     * Up to {@code limit} commits reachable from {@code start} (limit &lt; 0: all) that changed a
     * file at a path {@code paths} accepts, as {@code git log -- PATH} simplifies history by
     * default: a commit whose files there are as in one of its parents (TREESAME) is not shown,
     * and of a merge only that parent is followed (a side branch whose changes the merge did not
     * take is left out); a commit that differs there from every parent is shown, its parents all
     * followed; a root commit is shown when it has a file there ({@link RangeWalk}).
     */
    public List<Entry> walk(ObjectId start, int limit, java.util.function.Predicate<String> paths) throws IOException {
        return new RangeWalk(graph).walk(List.of(new RangeWalk.One(start, false)), limit, paths);
    }

    /** Up to {@code limit} commits reachable from {@code start} (limit &lt; 0: all). */
    public List<Entry> walk(ObjectId start, int limit) throws IOException {
        return new RangeWalk(graph).walk(List.of(new RangeWalk.One(start, false)), limit, null);
    }
}
