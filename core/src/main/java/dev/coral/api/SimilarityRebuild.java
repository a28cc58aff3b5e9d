package dev.coral.api;

import dev.coral.repo.CommitWalk;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.SimilarBases;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.StoredTensor;
import dev.coral.repo.TensorObject;
import dev.coral.similarity.LshIndex;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Rebuilds the similarity index ({@code .coral/cache/similarity}) from what is stored, without a
 * repack: the sketch of every tensor that starts a lineage (commits taken parents first, a lossless
 * version whose path and tensor name had no version before, or a lossy one; staged files count as
 * the newest version), as the ingests that stored them would have indexed them. It reads those tensors
 * only — for a history of one model, its first version — where a repack reads and re-encodes
 * every version. Entries of the current index still stored are kept (writers meanwhile). Used by
 * {@code coral fsck --rebuild-index}.
 */
final class SimilarityRebuild {
    /** What a rebuild did: tensors it sketched, lineage starts that could not be read, and why the first could not. */
    record Result(int indexed, int unreadable, String firstFailure) {
        /** One line for fsck's repairs. */
        String line() {
            String s = "rebuilt cache/similarity from the " + indexed + " tensor" + (indexed == 1 ? "" : "s") + " that start a lineage";
            return unreadable == 0 ? s : s + " (" + unreadable + " could not be read, first: " + firstFailure + ")";
        }
    }

    private final ObjectGraph graph;
    private final LshIndex rebuilt = new LshIndex();
    private final Set<ObjectId> seen = new HashSet<>();
    /** (path, tensor name) → whether its previous version was lossy. */
    private final Map<String, Boolean> previousLossy = new HashMap<>();
    private int unreadable;
    private String firstFailure;

    private SimilarityRebuild(ObjectGraph graph) {
        this.graph = graph;
    }

    static Result run(Repository repo) throws IOException {
        SimilarityRebuild r = new SimilarityRebuild(repo.graph());
        for (CommitWalk.Entry e : Repack.commitsParentsFirst(repo)) {
            for (Map.Entry<String, ObjectId> f : r.graph.tree(e.commit().tree()).files().entrySet()) {
                r.file(f.getValue(), f.getKey());
            }
        }
        for (Map.Entry<String, StagingIndex.Entry> e : repo.readIndex().entries().entrySet()) {
            r.file(e.getValue().fileEntry(), e.getKey()); // staged after the newest commit
        }
        int sketched = r.rebuilt.size();
        SimilarBases.install(r.rebuilt, repo.root().resolve(".coral").resolve("cache").resolve("similarity"), r.graph);
        return new Result(sketched, r.unreadable, r.firstFailure);
    }

    /** The tensors of a file entry at {@code path}, in order. */
    private void file(ObjectId entryId, String path) throws IOException {
        FileEntry entry = graph.file(entryId);
        for (FileEntry.NamedTensor t : entry.tensors()) {
            String lineage = path + "\u0000" + t.name();
            // as a repack plans bases: a lossless version after a lossy one takes no base from it, so it starts anew
            boolean starts = !entry.isLossy() && previousLossy.getOrDefault(lineage, true);
            previousLossy.put(lineage, entry.isLossy());
            if (starts && seen.add(t.tensorId())) {
                index(t.tensorId());
            }
        }
    }

    private void index(ObjectId id) throws IOException {
        TensorObject t = graph.tensor(id);
        if (!SimilarBases.eligible(t.spec())) {
            return;
        }
        try (InputStream in = new StoredTensor("", id, t, graph.store()).openStream()) {
            rebuilt.put(id, SimilarBases.sketch(t.spec(), in));
        } catch (IOException | RuntimeException e) {
            unreadable++;
            if (firstFailure == null) {
                firstFailure = "tensor " + id.hex() + ": " + e.getMessage();
            }
        }
    }
}
