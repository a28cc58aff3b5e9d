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
     * default ({@link #walk(Collection, Collection, int, java.util.function.Predicate)}).
     */
    public List<Entry> walk(ObjectId start, int limit, java.util.function.Predicate<String> paths) throws IOException {
        return walk(List.of(start), List.of(), limit, paths);
    }

    /**
     * Up to {@code limit} commits (limit &lt; 0: all), newest first, reachable from one of
     * {@code starts} and from none of {@code bottoms} ({@code git log A B ^C}), each once. With
     * {@code paths} (null: every commit), only those that changed a file at a path it accepts, as
     * {@code git log -- PATH} simplifies history by default: a commit whose files there are as in
     * one of its parents (TREESAME) is not shown, and of a merge only that parent is followed (a
     * side branch whose changes the merge did not take is left out); a commit that differs there
     * from every parent is shown, its parents all followed; a root commit is shown when it has a
     * file there. As git's, a parent reachable from a bottom but not one itself is "irrelevant": a
     * merge is not simplified to it, and counts as changed only against the relevant parents when
     * it has any.
     */
    public List<Entry> walk(Collection<ObjectId> starts, Collection<ObjectId> bottoms, int limit,
                            java.util.function.Predicate<String> paths) throws IOException {
        Set<ObjectId> hidden = bottoms.isEmpty() ? Set.of() : ancestors(bottoms);
        Set<ObjectId> named = new HashSet<>(bottoms);
        List<Entry> out = new ArrayList<>();
        PriorityQueue<Entry> queue = new PriorityQueue<>(
                Comparator.comparingLong((Entry e) -> e.commit().timeMillis()).reversed());
        Set<ObjectId> seen = new HashSet<>();
        Map<ObjectId, Map<String, ObjectId>> filesThere = new HashMap<>();
        for (ObjectId s : starts) {
            if (!hidden.contains(s) && seen.add(s)) {
                queue.add(new Entry(s, graph.commit(s)));
            }
        }
        while (!queue.isEmpty() && (limit < 0 || out.size() < limit)) {
            Entry e = queue.poll();
            List<ObjectId> follow = e.commit().parents();
            if (paths == null || changedThere(e, paths, hidden, named, filesThere)) {
                out.add(e);
            } else if (paths != null) {
                follow = simplifiedTo(e, paths, hidden, named, filesThere);
            }
            for (ObjectId p : follow) {
                if (!hidden.contains(p) && seen.add(p)) {
                    queue.add(new Entry(p, graph.commit(p)));
                }
            }
        }
        return out;
    }

    /** Whether a parent is relevant to the simplification: not hidden by a bottom, or a bottom itself (git's relevant_commit). */
    private static boolean relevant(ObjectId parent, Set<ObjectId> hidden, Set<ObjectId> bottoms) {
        return !hidden.contains(parent) || bottoms.contains(parent);
    }

    /** Whether commit {@code e} changed a file at {@code paths} (is not TREESAME), as git's try_to_simplify_commit decides. */
    private boolean changedThere(Entry e, java.util.function.Predicate<String> paths, Set<ObjectId> hidden, Set<ObjectId> bottoms,
                                 Map<ObjectId, Map<String, ObjectId>> filesThere) throws IOException {
        Map<String, ObjectId> mine = filesAt(e.id(), e.commit(), paths, filesThere);
        if (e.commit().parents().isEmpty()) {
            return !mine.isEmpty();
        }
        boolean relevantChange = false;
        boolean irrelevantChange = false;
        int relevantParents = 0;
        for (ObjectId p : e.commit().parents()) {
            boolean rel = relevant(p, hidden, bottoms);
            relevantParents += rel ? 1 : 0;
            if (filesAt(p, graph.commit(p), paths, filesThere).equals(mine)) {
                if (rel) {
                    return false; // simplified to this parent
                }
            } else if (rel) {
                relevantChange = true;
            } else {
                irrelevantChange = true;
            }
        }
        return relevantParents > 0 ? relevantChange : irrelevantChange;
    }

    /** The parents followed from a commit not shown: the first relevant one it is TREESAME to, else all. */
    private List<ObjectId> simplifiedTo(Entry e, java.util.function.Predicate<String> paths, Set<ObjectId> hidden, Set<ObjectId> bottoms,
                                        Map<ObjectId, Map<String, ObjectId>> filesThere) throws IOException {
        Map<String, ObjectId> mine = filesAt(e.id(), e.commit(), paths, filesThere);
        for (ObjectId p : e.commit().parents()) {
            if (relevant(p, hidden, bottoms) && filesAt(p, graph.commit(p), paths, filesThere).equals(mine)) {
                return List.of(p);
            }
        }
        return e.commit().parents();
    }

    /** Every commit reachable from {@code tips}, themselves included. */
    public Set<ObjectId> ancestors(Collection<ObjectId> tips) throws IOException {
        Set<ObjectId> all = new HashSet<>();
        find(tips, (id, c) -> {
            all.add(id);
            return false; // every one, each once
        });
        return all;
    }

    /**
     * The best common ancestors of {@code a} and {@code b} ({@code git merge-base --all}): the
     * commits reachable from both that no other such commit descends from; empty when they share
     * no history.
     */
    public Set<ObjectId> mergeBases(ObjectId a, ObjectId b) throws IOException {
        Set<ObjectId> common = ancestors(List.of(a));
        common.retainAll(ancestors(List.of(b)));
        Set<ObjectId> bases = new HashSet<>(common);
        for (ObjectId c : common) {
            bases.removeAll(graph.commit(c).parents()); // common is closed under parents: a parent of one is below it
        }
        return bases;
    }

    /** The files of commit {@code id} at paths {@code paths} accepts, path to file entry, read once per commit. */
    private Map<String, ObjectId> filesAt(ObjectId id, Commit c, java.util.function.Predicate<String> paths,
                                          Map<ObjectId, Map<String, ObjectId>> read) throws IOException {
        Map<String, ObjectId> there = read.get(id);
        if (there == null) {
            there = new HashMap<>();
            for (Map.Entry<String, ObjectId> f : graph.tree(c.tree()).files().entrySet()) {
                if (paths.test(f.getKey())) {
                    there.put(f.getKey(), f.getValue());
                }
            }
            read.put(id, there);
        }
        return there;
    }

    /** Up to {@code limit} commits reachable from {@code start} (limit &lt; 0: all). */
    public List<Entry> walk(ObjectId start, int limit) throws IOException {
        return walk(List.of(start), List.of(), limit, null);
    }
}
