package dev.coral.api;

import dev.coral.repo.ChunkRef;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import dev.coral.store.VersionsAhead;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Tells a reader stepping back through a history (a whole checkout of the first parent of the
 * commit HEAD was on: a user looking for the best checkpoint, {@code checkout main~1}, then
 * {@code main~2}, or {@code reset --hard HEAD~1} again and again), and then has the next step's
 * version read ahead ({@link VersionsAhead}) while the user works on the one checked out. Only
 * the first parent is guessed. HEAD, not the last checkout through this handle, tells where the
 * working files came from: a daemon's handle sees commits and checkouts of other processes too.
 */
final class StepsBack {
    /** A file's tensors read from a commit through this handle ({@link Repository#tensors}). */
    private record Loaded(ObjectId commit, String path) {
    }

    /** How many sets of paths restored {@link #restored} remembers the last commit of. */
    private static final int RESTORES_KEPT = 16;

    private final ObjectGraph graph;
    private final VersionsAhead ahead;
    /** The last file whose tensors were read; guarded by this. */
    private Loaded lastLoaded;
    /**
     * For the last sets of working files restored from a commit through this handle
     * ({@link Repository#checkoutPaths}, a restore from a revision), that commit, the least
     * recently restored first; guarded by this.
     */
    private final Map<Set<String>, ObjectId> lastRestored = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Set<String>, ObjectId> eldest) {
            return size() > RESTORES_KEPT;
        }
    };

    StepsBack(ObjectGraph graph, VersionsAhead ahead) {
        this.graph = graph;
        this.ahead = ahead;
    }

    /**
     * How many versions back a step looks for one to read ahead, past those held or cheap to read:
     * twice the chain layout's default run (8), so a step into a run finds the next run's first
     * version to read.
     */
    static final int LOOK_BACK = 16;

    /**
     * After a whole checkout of commit {@code target}, whose tree {@code tree} the working files
     * now hold, from commit {@code before} (HEAD's, not yet moved; null: none). A checkout that
     * moves elsewhere stops what was read ahead. Never fails: what it cannot read is left to the
     * next checkout, which reports it.
     */
    void checkedOut(ObjectId before, ObjectId target, Tree tree) {
        stepped(before, target, () -> plan(target, tree.files(), null));
    }

    /**
     * As {@link #checkedOut}, for working files restored from a commit while HEAD stays
     * ({@code coral checkout REV -- PATH}, {@code coral restore --source REV PATH}: a user going
     * back through the versions of one checkpoint file): when {@code commit} is the first parent of
     * the commit the same paths were restored from last through this handle, the versions of those
     * paths further back are read ahead, each against the file then at hand. Restores of other
     * files in between do not hide the step. {@code paths} are the files restored (repository
     * paths), each in {@code files}, the commit's. Never fails.
     */
    synchronized void restored(ObjectId commit, Collection<String> paths, Map<String, ObjectId> files) {
        if (paths.isEmpty()) {
            return;
        }
        Map<String, ObjectId> atHand = new HashMap<>();
        paths.forEach(p -> atHand.put(p, files.get(p)));
        ObjectId before = lastRestored.put(new TreeSet<>(paths), commit);
        stepped(before, commit, () -> plan(commit, atHand, atHand.keySet()));
    }

    /**
     * As {@link #checkedOut}, for a program reading a file's tensors from commit after commit
     * ({@link Repository#tensors}, {@code Nd4jCheckpoints.load}: a Java evaluation loop going back
     * through checkpoints, with no file at hand): when {@code commit} is the first parent of the
     * commit whose {@code path} was read last through this handle, {@code path} of a commit
     * further back is read ahead, while the program reads and evaluates this one. Never fails.
     */
    synchronized void loaded(ObjectId commit, String path) {
        Loaded before = lastLoaded;
        lastLoaded = new Loaded(commit, path);
        if (before != null && before.path().equals(path)) {
            stepped(before.commit(), commit, () -> plan(commit, path));
        }
    }

    /**
     * A reader went from commit {@code before} (null: none) to commit {@code now}: when that is a
     * step back to the first parent, has {@code plan}'s version read ahead; when it goes
     * elsewhere, stops what was being read ahead. Never fails: what it cannot read is left to the
     * reader, which reports it.
     */
    private void stepped(ObjectId before, ObjectId now, Callable<VersionsAhead.Plan> plan) {
        try {
            if (before == null || before.equals(now)) {
                return;
            }
            if (!now.equals(firstParent(before))) {
                ahead.cancel();
                return;
            }
            ahead.start(plan);
        } catch (IOException | RuntimeException e) {
            // speculative
        }
    }

    /**
     * The first version back from commit {@code from} (whose files {@code atHand} the working
     * folder holds) that would cost a read ahead saves ({@link VersionsAhead#look}), at most {@link
     * #LOOK_BACK} steps back: its files' chunks that differ from the version above it, each with
     * the chunk in its place there (the file at hand when the reader gets to it). Only the files
     * {@code paths} when not null (a restore of some), else every file of each version's tree.
     */
    private VersionsAhead.Plan plan(ObjectId from, Map<String, ObjectId> atHand, Set<String> paths) throws IOException {
        Map<String, ObjectId> above = atHand;
        Walk walk = new Walk();
        for (ObjectId v = firstParent(from); v != null && walk.goesOn(); v = firstParent(v)) {
            Map<String, ObjectId> files = graph.tree(graph.commit(v).tree()).files();
            if (paths != null) {
                Map<String, ObjectId> some = new HashMap<>();
                for (String p : paths) {
                    ObjectId f = files.get(p);
                    if (f != null) {
                        some.put(p, f);
                    }
                }
                files = some;
            }
            List<VersionsAhead.Wanted> chunks = new ArrayList<>();
            for (Map.Entry<String, ObjectId> f : files.entrySet()) {
                ObjectId mine = above.get(f.getKey());
                if (!f.getValue().equals(mine)) {
                    addChunks(chunks, f.getValue(), mine);
                }
            }
            VersionsAhead.Plan p = walk.step(chunks);
            if (p != null) {
                return p;
            }
            above = files;
        }
        return VersionsAhead.Plan.NONE;
    }

    /** As {@link #plan(ObjectId, Map, Set)} for file {@code path} read with no file at hand. */
    private VersionsAhead.Plan plan(ObjectId from, String path) throws IOException {
        ObjectId above = graph.tree(graph.commit(from).tree()).files().get(path);
        Walk walk = new Walk();
        for (ObjectId v = firstParent(from); v != null && walk.goesOn(); v = firstParent(v)) {
            ObjectId file = graph.tree(graph.commit(v).tree()).files().get(path);
            if (file == null) {
                break;
            }
            List<VersionsAhead.Wanted> chunks = new ArrayList<>();
            if (!file.equals(above)) {
                addChunks(chunks, file, null);
            }
            VersionsAhead.Plan p = walk.step(chunks);
            if (p != null) {
                return p;
            }
            above = file;
        }
        return VersionsAhead.Plan.NONE;
    }

    /** A walk back over versions held or cheap to read, to the first that is not. */
    private final class Walk {
        private int depth;
        private int listed;

        boolean goesOn() {
            return depth < LOOK_BACK && listed < VersionsAhead.MAX_BATCH;
        }

        /** The plan for the next version back, whose chunks are {@code chunks}, if it is the one to read ahead; else null. */
        VersionsAhead.Plan step(List<VersionsAhead.Wanted> chunks) {
            depth++;
            if (ahead.look(chunks, depth)) {
                return new VersionsAhead.Plan(chunks, depth);
            }
            listed += chunks.size();
            return null;
        }
    }

    private ObjectId firstParent(ObjectId commit) throws IOException {
        List<ObjectId> parents = graph.commit(commit).parents();
        return parents.isEmpty() ? null : parents.get(0);
    }

    /**
     * Adds the chunks of file {@code file} that differ from the chunk in their place in file
     * {@code mine} (null: none), each with that chunk.
     */
    private void addChunks(List<VersionsAhead.Wanted> out, ObjectId file, ObjectId mine) throws IOException {
        Map<String, ObjectId> besideTensors = new HashMap<>();
        if (mine != null) {
            for (FileEntry.NamedTensor t : graph.file(mine).tensors()) {
                besideTensors.put(t.name(), t.tensorId());
            }
        }
        for (FileEntry.NamedTensor t : graph.file(file).tensors()) {
            ObjectId beside = besideTensors.get(t.name());
            if (t.tensorId().equals(beside)) {
                continue; // the same chunks
            }
            List<ChunkRef> chunks = graph.tensor(t.tensorId()).chunks();
            List<ChunkRef> there = beside == null ? List.of() : graph.tensor(beside).chunks();
            for (int i = 0; i < chunks.size(); i++) {
                ObjectId id = chunks.get(i).id();
                ObjectId at = i < there.size() ? there.get(i).id() : null;
                if (!id.equals(at)) {
                    out.add(new VersionsAhead.Wanted(id, at));
                }
            }
        }
    }
}
