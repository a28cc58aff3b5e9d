package dev.coral.perf.stress;

import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.maintenance.GcReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child process of the collection scenario: {@code REPO STOPFILE}; runs {@code gc --prune=now}
 * and {@code repack} in turn until STOPFILE exists, and prints {@code gc.N=MS,PACKS_REMOVED},
 * {@code repack.N=MS,PACKS_BEFORE} and {@code errors=N} (a failed run prints its reason too).
 */
public final class MaintenanceLoopChild {
    private MaintenanceLoopChild() {
    }

    public static void main(String[] args) throws Exception {
        Path stop = Path.of(args[1]);
        int gcs = 0;
        int repacks = 0;
        int errors = 0;
        try (Repository repo = Repository.open(Path.of(args[0]))) {
            while (!Files.exists(stop)) {
                long t0 = System.nanoTime();
                try {
                    if ((gcs + repacks) % 2 == 0) {
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
}
