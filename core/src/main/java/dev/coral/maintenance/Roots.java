package dev.coral.maintenance;

import dev.coral.repo.Refs;
import dev.coral.repo.RootAttempts;
import dev.coral.repo.StagingIndex;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;

/** What everything reachable is reached from: branches, tags, a detached HEAD, ORIG_HEAD and the staging index. */
final class Roots {
    private Roots() {
    }

    /**
     * Adds the repository's roots, as they are now, to {@code walk}; a root that cannot be read
     * stops the {@code command} (gc, repack) before it removes anything.
     */
    static void addTo(ObjectWalk walk, Path coralDir, ObjectStore store, Refs refs, String command) throws IOException {
        try {
            refs.requireRefFolders();
            for (String b : refs.branches()) {
                ObjectId id = refs.branch(b);
                if (id != null) {
                    walk.addRoot(id, ObjectKind.COMMIT);
                }
            }
            for (String t : refs.tags()) {
                ObjectId id = refs.tag(t);
                if (id != null) {
                    ObjectStore.Found f = store.find(id);
                    walk.addRoot(id, f != null && f.entry().kind() == ObjectKind.TAG ? ObjectKind.TAG : ObjectKind.COMMIT);
                }
            }
            ObjectId orig = refs.origHead();
            if (orig != null) {
                walk.addRoot(orig, ObjectKind.COMMIT);
            }
            Refs.Head head = refs.head();
            if (head.isDetached()) {
                walk.addRoot(head.detached(), ObjectKind.COMMIT);
            } else if (refs.branch(head.branch()) == null
                    && store.holdsBesides(ObjectKind.COMMIT, new RootAttempts(coralDir).failed())) { // not a failed first commit's
                throw Refs.lostBranch(head.branch());
            }
            StagingIndex.readBeside(coralDir.resolve("index"), refs).entries().forEach((path, e) -> walk.addStaged(path, e.fileEntry()));
        } catch (IOException | RuntimeException e) {
            throw ObjectWalk.notRemoved(command, e, "nothing was removed");
        }
    }
}
