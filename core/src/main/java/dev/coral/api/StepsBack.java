package dev.coral.api;

import dev.coral.repo.ChunkRef;
import dev.coral.repo.Commit;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import dev.coral.store.VersionsAhead;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    private final ObjectGraph graph;
    private final VersionsAhead ahead;
    /** The last file whose tensors were read; guarded by this. */
    private Loaded lastLoaded;

    StepsBack(ObjectGraph graph, VersionsAhead ahead) {
        this.graph = graph;
        this.ahead = ahead;
    }

    /**
     * After a whole checkout of commit {@code target}, whose tree {@code tree} the working files
     * now hold, from commit {@code before} (HEAD's, not yet moved; null: none). Never fails: what
     * it cannot read is left to the next checkout, which reports it.
     */
    void checkedOut(ObjectId before, ObjectId target, Tree tree) {
        try {
            if (before == null || before.equals(target) || !target.equals(firstParent(before))) {
                return;
            }
            ObjectId next = firstParent(target);
            if (next != null) {
                ahead.start(() -> chunksOf(next, tree));
            }
        } catch (IOException | RuntimeException e) {
            // speculative
        }
    }

    /**
     * As {@link #checkedOut}, for a program reading a file's tensors from commit after commit
     * ({@link Repository#tensors}, {@code Nd4jCheckpoints.load}: a Java evaluation loop going back
     * through checkpoints, with no file at hand): when {@code commit} is the first parent of the
     * commit whose {@code path} was read last through this handle, {@code path} of its first parent
     * is read ahead, while the program reads and evaluates this one. Never fails.
     */
    synchronized void loaded(ObjectId commit, String path) {
        Loaded before = lastLoaded;
        lastLoaded = new Loaded(commit, path);
        try {
            if (before == null || !before.path().equals(path) || before.commit().equals(commit) || !commit.equals(firstParent(before.commit()))) {
                return;
            }
            ObjectId next = firstParent(commit);
            ObjectId now = graph.tree(graph.commit(commit).tree()).files().get(path);
            if (next != null && now != null) {
                ahead.start(() -> chunksOf(next, path, now));
            }
        } catch (IOException | RuntimeException e) {
            // speculative
        }
    }

    /** The chunks of {@code path} in commit {@code next}, unless it is the file {@code now} (no file at hand beside them). */
    private List<VersionsAhead.Wanted> chunksOf(ObjectId next, String path, ObjectId now) throws IOException {
        List<VersionsAhead.Wanted> out = new ArrayList<>();
        ObjectId file = graph.tree(graph.commit(next).tree()).files().get(path);
        if (file != null && !file.equals(now)) {
            addChunks(out, file, null);
        }
        return out;
    }

    private ObjectId firstParent(ObjectId commit) throws IOException {
        List<ObjectId> parents = graph.commit(commit).parents();
        return parents.isEmpty() ? null : parents.get(0);
    }

    /**
     * The chunks of commit {@code next}'s files that differ from {@code atHand}'s, each with the
     * chunk in its place (the same path, tensor name and index) in the file now at hand.
     */
    private List<VersionsAhead.Wanted> chunksOf(ObjectId next, Tree atHand) throws IOException {
        Commit c = graph.commit(next);
        List<VersionsAhead.Wanted> out = new ArrayList<>();
        for (Map.Entry<String, ObjectId> f : graph.tree(c.tree()).files().entrySet()) {
            ObjectId mine = atHand.files().get(f.getKey());
            if (!f.getValue().equals(mine)) {
                addChunks(out, f.getValue(), mine);
            }
        }
        return out;
    }

    /** Adds the chunks of file {@code file}, each with the chunk in its place in file {@code mine} (null: none). */
    private void addChunks(List<VersionsAhead.Wanted> out, ObjectId file, ObjectId mine) throws IOException {
        Map<String, List<ChunkRef>> beside = new HashMap<>();
        if (mine != null) {
            for (FileEntry.NamedTensor t : graph.file(mine).tensors()) {
                beside.put(t.name(), graph.tensor(t.tensorId()).chunks());
            }
        }
        for (FileEntry.NamedTensor t : graph.file(file).tensors()) {
            List<ChunkRef> chunks = graph.tensor(t.tensorId()).chunks();
            List<ChunkRef> there = beside.getOrDefault(t.name(), List.of());
            for (int i = 0; i < chunks.size(); i++) {
                out.add(new VersionsAhead.Wanted(chunks.get(i).id(), i < there.size() ? there.get(i).id() : null));
            }
        }
    }
}
