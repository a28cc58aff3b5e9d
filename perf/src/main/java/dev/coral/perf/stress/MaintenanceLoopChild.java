package dev.coral.perf.stress;

import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.maintenance.GcReport;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * A child process of the collection scenario: {@code REPO STOPFILE WRITERS COMMITS FLOATS SEED};
 * runs {@code gc --prune=now} ({@value #GCS_PER_REPACK} times) and {@code repack} in turn until
 * STOPFILE exists. Before each gc it leaves garbage for it: a pack nothing names (as a writer
 * killed before moving its branch leaves one) holding the chunks of versions the writers are
 * about to commit (a few of the next {@value #AHEAD} after the newest on main, picked at random),
 * so that a writer may find its next chunk already stored, in a pack the gc is about to delete.
 * Prints {@code garbage.N=W:V,...} (the versions whose chunks it stored first),
 * {@code gc.N=MS,PACKS_REMOVED}, {@code repack.N=MS,PACKS_BEFORE} and {@code errors=N} (a failed
 * run prints its reason too).
 */
public final class MaintenanceLoopChild {
    /** Versions of each writer stored as garbage before each gc. */
    private static final int GARBAGE_VERSIONS = 3;
    /** How far past a writer's newest version on main the garbage's versions are picked. */
    private static final int AHEAD = 6;
    private static final int GCS_PER_REPACK = 3;

    private MaintenanceLoopChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Path stop = Path.of(args[1]);
        int writers = Integer.parseInt(args[2]);
        int commits = Integer.parseInt(args[3]);
        int floats = Integer.parseInt(args[4]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[5]));
        int gcs = 0;
        int repacks = 0;
        int errors = 0;
        try (Repository repo = Repository.open(root);
                ObjectStore garbageStore = new ObjectStore(root.resolve(".coral").resolve("packs"), 1)) {
            while (!Files.exists(stop)) {
                long t0 = System.nanoTime();
                try {
                    if ((gcs + repacks) % (GCS_PER_REPACK + 1) != GCS_PER_REPACK) {
                        int[] next = nextVersions(repo, writers);
                        System.out.println("garbage." + gcs + "=" + leaveGarbage(garbageStore, next, commits, floats, random));
                        t0 = System.nanoTime();
                        GcReport r = Maintenance.gc(repo, false, Duration.ZERO);
                        System.out.println("gc." + gcs++ + "=" + (System.nanoTime() - t0) / 1_000_000 + "," + r.removedPacks().size());
                    } else {
                        Repository.RepackResult r = repo.repack();
                        System.out.println("repack." + repacks++ + "=" + (System.nanoTime() - t0) / 1_000_000 + "," + r.packsBefore());
                    }
                } catch (Exception e) {
                    errors++;
                    System.out.println("error " + e);
                }
                System.out.flush();
            }
        }
        System.out.println("errors=" + errors);
    }

    /** Each writer's next version: one past its newest commit on main (from the messages {@link Writers} writes). */
    private static int[] nextVersions(Repository repo, int writers) throws Exception {
        int[] next = new int[writers];
        java.util.Arrays.fill(next, -1);
        int found = 0;
        if (repo.branches().isEmpty()) {
            java.util.Arrays.fill(next, 0); // no commit yet
            return next;
        }
        for (CommitWalk.Entry e : repo.log("main", 4 * writers + 20)) {
            String[] words = e.commit().message().split(" "); // "writer W version V"
            if (words.length == 4 && words[0].equals("writer")) {
                int w = Integer.parseInt(words[1]);
                if (w < writers && next[w] < 0) {
                    next[w] = Integer.parseInt(words[3]) + 1;
                    found++;
                }
            }
            if (found == writers) {
                break;
            }
        }
        for (int w = 0; w < writers; w++) {
            next[w] = Math.max(0, next[w]);
        }
        return next;
    }

    /**
     * Stores the chunks of {@link #GARBAGE_VERSIONS} versions of each writer w, picked at random
     * among the {@link #AHEAD} from {@code next[w]}, in one new pack; returns {@code W:V} for each
     * whose chunk was not stored yet (comma-separated).
     */
    private static String leaveGarbage(ObjectStore store, int[] next, int commits, int floats, SplittableRandom random) throws Exception {
        StringJoiner stored = new StringJoiner(",");
        store.refresh();
        try (ObjectInserter ins = store.newInserter()) {
            for (int w = 0; w < next.length; w++) {
                for (int k = 0; k < GARBAGE_VERSIONS; k++) {
                    int v = next[w] + random.nextInt(AHEAD);
                    if (v >= commits) {
                        continue;
                    }
                    byte[] raw = Writers.content(w, v, floats);
                    if (!store.contains(ObjectId.hashOf(raw))) {
                        ins.insertChunk(raw, 0, raw.length, 4, null);
                        stored.add(w + ":" + v);
                    }
                }
            }
            ins.flush();
        }
        return stored.toString();
    }
}
