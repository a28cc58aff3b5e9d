package dev.coral.maintenance;

import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * For a repack about to delete the packs it copied from: which of them hold an object that the
 * repository's roots reach now but the copy did not take, because a writer named it after the
 * repack read the roots (a new commit's chunk deduplicated against an unreachable old one, a
 * delta base, a tag on an old commit). Run with the writers' gate shut, after a refresh of
 * {@code store}; those packs must stay.
 */
public final class LateReferences {
    private LateReferences() {
    }

    /** The packs of {@code doomed} holding objects reachable now outside {@code copied}. */
    public static Set<ObjectId> packsToKeep(Path coralDir, ObjectStore store, Refs refs, Set<ObjectId> copied,
                                            Collection<ObjectId> doomed) throws IOException {
        ObjectWalk walk = new ObjectWalk(new ObjectGraph(store), false, id -> PackVerifier.deltaBase(store, id));
        walk.skip(copied);
        Roots.addTo(walk, coralDir, store, refs, "repack");
        walk.run();
        walk.requireReadable("repack", "the old packs were kept");
        Set<ObjectId> old = new HashSet<>(doomed);
        Set<ObjectId> keep = new HashSet<>();
        for (ObjectId id : walk.reached().keySet()) {
            ObjectId pack = store.packOf(id);
            if (pack != null && old.contains(pack)) {
                keep.add(pack);
            }
        }
        return keep;
    }
}
