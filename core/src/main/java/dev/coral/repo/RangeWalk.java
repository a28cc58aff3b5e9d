package dev.coral.repo;

import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * The commits {@code git log REV... [-- PATH...]} lists, found as git finds them (its revision
 * walk: revision.c's {@code limit_list}, {@code process_parents} and {@code try_to_simplify_commit},
 * and commit-reach.c's merge bases), newest first. It matters how: a commit left out ({@code ^A},
 * the A of {@code A..B}, the merge bases of {@code A...B}) marks its ancestors left out only as
 * the walk reaches them, newest first, and a merge is simplified to a parent its files at the
 * paths equal while that parent is not yet marked; so git's answer for a path and a range is not
 * always the set difference of the ancestries, and Coral gives git's (found by
 * {@code perf/tools/log-paths-differential.py}: the set difference listed a side branch git's log
 * leaves out). Flags, the order of equal times (first queued first) and which commits are read
 * (a commit's parents are known only once it is read: marks spread only through read commits) are
 * git's. One walk per instance.
 */
public final class RangeWalk {
    private static final int UNINTERESTING = 1;
    private static final int BOTTOM = 1 << 1;
    private static final int SEEN = 1 << 2;
    private static final int TREESAME = 1 << 3;
    private static final int ADDED = 1 << 4;
    private static final int PARENT1 = 1 << 5;
    private static final int PARENT2 = 1 << 6;
    private static final int STALE = 1 << 7;
    private static final int RESULT = 1 << 8;
    private static final int MERGE_BASE_FLAGS = PARENT1 | PARENT2 | STALE | RESULT;

    /** How many more commits git's limit_list takes once every one queued is left out ({@code SLOP}). */
    private static final int SLOP = 5;

    private final ObjectGraph graph;
    private final Map<ObjectId, Node> nodes = new HashMap<>();
    private long queued;
    private boolean firstParent;

    public RangeWalk(ObjectGraph graph) {
        this.graph = graph;
    }

    /** A revision argument: one commit, left out or not, or a range {@code A..B} / {@code A...B}. */
    public sealed interface Revision permits One, Range {
    }

    /** {@code REV}, or {@code ^REV} when {@code leftOut}. */
    public record One(ObjectId id, boolean leftOut) implements Revision {
    }

    /** {@code A..B}, or {@code A...B} when {@code symmetric}. */
    public record Range(ObjectId a, ObjectId b, boolean symmetric) implements Revision {
    }

    /** A commit as the walk knows it: its flags, and its parents once read (git's parsed commit). */
    private final class Node {
        final ObjectId id;
        Commit commit;
        List<Node> parents;
        int flags;

        Node(ObjectId id) {
            this.id = id;
        }

        boolean has(int f) {
            return (flags & f) != 0;
        }

        long time() {
            return commit == null ? 0 : commit.timeMillis(); // a virtual commit's date is 0, as git's make_virtual_commit leaves it
        }
    }

    private Node node(ObjectId id) {
        return nodes.computeIfAbsent(id, Node::new);
    }

    /** Reads the commit (git's parse_commit): its parents become known. A virtual commit knows them already. */
    private Node parse(Node n) throws IOException {
        if (n.parents == null) {
            n.commit = graph.commit(n.id);
            n.parents = new ArrayList<>(n.commit.parents().size());
            for (ObjectId p : n.commit.parents()) {
                n.parents.add(node(p));
            }
        }
        return n;
    }

    /** A commit queued, and when: a commit may be queued twice, as in git's prio_queue. */
    private record Queued(Node node, long order) {
    }

    /** Newest first; of equal times, the one queued first (git's stable date order). */
    private static PriorityQueue<Queued> dateQueue() {
        return new PriorityQueue<>(Comparator.comparingLong((Queued q) -> q.node().time()).reversed().thenComparingLong(Queued::order));
    }

    private void put(PriorityQueue<Queued> queue, Node n) {
        queue.add(new Queued(n, queued++));
    }

    /**
     * Up to {@code limit} commits (&lt; 0: all) of {@code revisions}, newest first: those reachable
     * from a commit given and not from one left out; with {@code paths} (null: every commit), only
     * those that changed a file at a path it accepts, history simplified as git's log does by default.
     */
    public List<CommitWalk.Entry> walk(List<Revision> revisions, int limit, Predicate<String> paths) throws IOException {
        return walk(revisions, limit, paths, false);
    }

    /**
     * As {@link #walk(List, int, Predicate)}; with {@code firstParent}, a merge's first parent only
     * is followed, and a merge is compared with it alone ({@code git log --first-parent}: the
     * history of the branch itself, each merge one step of it).
     */
    public List<CommitWalk.Entry> walk(List<Revision> revisions, int limit, Predicate<String> paths, boolean firstParent)
            throws IOException {
        this.firstParent = firstParent;
        List<Node> pending = new ArrayList<>();
        for (Revision r : revisions) {
            if (r instanceof One one) {
                pending.add(flag(parse(node(one.id())), one.leftOut() ? UNINTERESTING | BOTTOM : 0));
            } else if (r instanceof Range range) {
                Node a = parse(node(range.a()));
                Node b = parse(node(range.b()));
                if (range.symmetric()) {
                    for (Node base : mergeBases(a, b)) {
                        pending.add(flag(base, UNINTERESTING | BOTTOM));
                    }
                    pending.add(flag(a, 0));
                    pending.add(flag(b, 0));
                } else {
                    pending.add(flag(a, UNINTERESTING | BOTTOM));
                    pending.add(flag(b, 0));
                }
            }
        }
        PriorityQueue<Queued> list = dateQueue();
        for (Node n : pending) { // prepare_revision_walk: handle_commit, then the list sorted by date, stably
            if (n.has(UNINTERESTING)) {
                markParentsUninteresting(n);
            }
            if (!n.has(SEEN)) {
                n.flags |= SEEN;
                put(list, n);
            }
        }
        // with nothing left out git walks as it prints (get_revision), and stops at the limit; else limit_list first
        boolean incremental = pending.stream().noneMatch(n -> n.has(UNINTERESTING));
        List<Node> shown = new ArrayList<>();
        int slop = SLOP;
        long date = Long.MAX_VALUE;
        int listed = 0;
        while (!list.isEmpty() && !(incremental && limit >= 0 && listed >= limit)) {
            Node c = list.poll().node();
            processParents(c, list, paths);
            if (c.has(UNINTERESTING)) {
                markParentsUninteresting(c);
                slop = stillInteresting(list, date, slop);
                if (slop > 0) {
                    continue;
                }
                break;
            }
            date = c.time();
            shown.add(c);
            listed += paths != null && c.has(TREESAME) ? 0 : 1;
        }
        List<CommitWalk.Entry> out = new ArrayList<>();
        for (Node c : shown) {
            if (limit >= 0 && out.size() >= limit) {
                break;
            }
            if (!c.has(UNINTERESTING) && !(paths != null && c.has(TREESAME))) {
                out.add(new CommitWalk.Entry(c.id, c.commit));
            }
        }
        return out;
    }

    private static Node flag(Node n, int flags) {
        n.flags |= flags;
        return n;
    }

    /** git's still_interesting: whether to go on taking commits once the last one taken was left out. */
    private static int stillInteresting(PriorityQueue<Queued> list, long date, int slop) {
        if (list.isEmpty()) {
            return 0;
        }
        if (date <= list.peek().node().time()) {
            return SLOP;
        }
        for (Queued q : list) {
            if (!q.node().has(UNINTERESTING)) {
                return SLOP;
            }
        }
        return slop - 1;
    }

    /** git's process_parents: a left-out commit marks its parents left out; another is simplified, then its parents queued. */
    private void processParents(Node c, PriorityQueue<Queued> list, Predicate<String> paths) throws IOException {
        if (c.has(ADDED)) {
            return;
        }
        c.flags |= ADDED;
        if (c.has(UNINTERESTING)) {
            for (Node p : List.copyOf(c.parents)) {
                p.flags |= UNINTERESTING;
                parse(p);
                if (!p.parents.isEmpty()) {
                    markParentsUninteresting(p);
                }
                if (!p.has(SEEN)) {
                    p.flags |= SEEN;
                    put(list, p);
                }
            }
            return;
        }
        if (paths != null) {
            simplify(c, paths);
        }
        for (Node p : List.copyOf(c.parents)) {
            parse(p);
            if (!p.has(SEEN)) {
                p.flags |= SEEN;
                put(list, p);
            }
            if (firstParent) {
                break;
            }
        }
    }

    /** git's mark_parents_uninteresting: through the commits read so far, and no further. */
    private static void markParentsUninteresting(Node c) {
        if (c.parents == null) {
            return;
        }
        List<Node> pending = new ArrayList<>(c.parents);
        while (!pending.isEmpty()) {
            Node x = pending.remove(pending.size() - 1);
            if (x.has(UNINTERESTING)) {
                continue;
            }
            x.flags |= UNINTERESTING;
            if (x.parents != null) {
                pending.addAll(x.parents);
            }
        }
    }

    /** Whether a parent counts in the simplification: not left out, or left out by name (git's relevant_commit). */
    private static boolean relevant(Node p) {
        return (p.flags & (UNINTERESTING | BOTTOM)) != UNINTERESTING;
    }

    /**
     * git's try_to_simplify_commit with its defaults (dense history, simplify_history): marks
     * {@code c} TREESAME when its files at {@code paths} are as in a relevant parent, and keeps only
     * that parent; or, among its relevant parents if it has any, else among all, as in each.
     */
    private void simplify(Node c, Predicate<String> paths) throws IOException {
        Map<String, ObjectId> mine = filesAt(c, paths);
        if (c.parents.isEmpty()) {
            if (mine.isEmpty()) {
                c.flags |= TREESAME;
            }
            return;
        }
        boolean relevantChange = false;
        boolean irrelevantChange = false;
        int relevantParents = 0;
        List<Node> parents = List.copyOf(c.parents);
        for (int nth = 0; nth < parents.size(); nth++) {
            Node p = parents.get(nth);
            boolean rel = relevant(p);
            relevantParents += rel ? 1 : 0;
            if (nth == 1 && firstParent) {
                break; // as git: counted, not compared (a side branch must not derail the first-parent chain)
            }
            parse(p);
            if (filesAt(p, paths).equals(mine)) {
                if (!rel) {
                    continue; // a merge with a left-out side branch keeps its other parents
                }
                c.parents = new ArrayList<>(List.of(p));
                c.flags |= TREESAME;
                return;
            }
            if (rel) {
                relevantChange = true;
            } else {
                irrelevantChange = true;
            }
        }
        if (relevantParents > 0 ? relevantChange : irrelevantChange) {
            c.flags &= ~TREESAME;
        } else {
            c.flags |= TREESAME;
        }
    }

    private final Map<ObjectId, Map<String, ObjectId>> filesThere = new HashMap<>();

    /** The files of {@code n} (read) at paths {@code paths} accepts, path to file entry, read once per commit. */
    private Map<String, ObjectId> filesAt(Node n, Predicate<String> paths) throws IOException {
        Map<String, ObjectId> there = filesThere.get(n.id);
        if (there == null) {
            there = new HashMap<>();
            for (Map.Entry<String, ObjectId> f : graph.tree(n.commit.tree()).files().entrySet()) {
                if (paths.test(f.getKey())) {
                    there.put(f.getKey(), f.getValue());
                }
            }
            filesThere.put(n.id, there);
        }
        return there;
    }

    /**
     * The merge bases of {@code a} and {@code b} ({@code git merge-base --all}), newest first, as
     * git finds them (reading the commits it reads): their common ancestors that no other common
     * ancestor descends from.
     */
    public List<ObjectId> mergeBases(ObjectId a, ObjectId b) throws IOException {
        List<ObjectId> out = new ArrayList<>();
        for (Node n : mergeBases(parse(node(a)), parse(node(b)))) {
            out.add(n.id);
        }
        return out;
    }

    /**
     * A commit of no repository whose parents are {@code parents}, for finding merge bases across
     * it: git's virtual merge base, made by merging several merge bases ({@code merge-ort}'s
     * recursive merge of criss-cross histories). Its date is 0; its id, made up, names it only here.
     */
    public ObjectId virtualCommit(List<ObjectId> parents) throws IOException {
        java.security.MessageDigest md = ObjectId.sha256();
        md.update(("coral virtual merge base " + nodes.size()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (ObjectId p : parents) {
            md.update(p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Node n = node(ObjectId.fromBytes(md.digest()));
        n.parents = new ArrayList<>();
        for (ObjectId p : parents) {
            n.parents.add(parse(node(p)));
        }
        return n.id;
    }

    /** git's get_merge_bases_many_0 for one pair, cleaning up after itself. */
    private List<Node> mergeBases(Node one, Node two) throws IOException {
        if (one == two) {
            return List.of(one);
        }
        List<Node> result = new ArrayList<>();
        for (Node n : paintDownToCommon(one, List.of(two))) {
            if (!n.has(STALE)) {
                result.add(n);
            }
        }
        clearMergeBaseFlags();
        if (result.size() <= 1) {
            return result;
        }
        boolean[] redundant = new boolean[result.size()];
        for (int i = 0; i < result.size(); i++) { // remove_redundant, without generation numbers
            if (redundant[i]) {
                continue;
            }
            List<Node> work = new ArrayList<>();
            List<Integer> index = new ArrayList<>();
            for (int j = 0; j < result.size(); j++) {
                if (i != j && !redundant[j]) {
                    work.add(result.get(j));
                    index.add(j);
                }
            }
            paintDownToCommon(result.get(i), work);
            if (result.get(i).has(PARENT2)) {
                redundant[i] = true;
            }
            for (int j = 0; j < work.size(); j++) {
                if (work.get(j).has(PARENT1)) {
                    redundant[index.get(j)] = true;
                }
            }
            clearMergeBaseFlags();
        }
        List<Node> bases = new ArrayList<>();
        for (int i = 0; i < result.size(); i++) {
            if (!redundant[i]) {
                bases.add(result.get(i));
            }
        }
        bases.sort(Comparator.comparingLong((Node n) -> n.time()).reversed()); // commit_list_insert_by_date: stable
        return bases;
    }

    /** git's paint_down_to_common: the commits reached from both sides, newest first, some STALE. */
    private List<Node> paintDownToCommon(Node one, List<Node> twos) throws IOException {
        PriorityQueue<Queued> queue = dateQueue();
        one.flags |= PARENT1;
        put(queue, one);
        for (Node two : twos) {
            two.flags |= PARENT2;
            put(queue, two);
        }
        List<Node> result = new ArrayList<>();
        while (queue.stream().anyMatch(q -> !q.node().has(STALE))) {
            Node c = queue.poll().node();
            int flags = c.flags & (PARENT1 | PARENT2 | STALE);
            if (flags == (PARENT1 | PARENT2)) {
                if (!c.has(RESULT)) {
                    c.flags |= RESULT;
                    insertByDate(result, c);
                }
                flags |= STALE;
            }
            for (Node p : parse(c).parents) {
                if ((p.flags & flags) == flags) {
                    continue;
                }
                parse(p);
                p.flags |= flags;
                put(queue, p);
            }
        }
        return result;
    }

    /** git's commit_list_insert_by_date: before the first older one, so after those of the same time. */
    private static void insertByDate(List<Node> list, Node n) {
        int i = 0;
        while (i < list.size() && list.get(i).time() >= n.time()) {
            i++;
        }
        list.add(i, n);
    }

    private void clearMergeBaseFlags() {
        for (Node n : nodes.values()) {
            n.flags &= ~MERGE_BASE_FLAGS;
        }
    }
}
