package dev.coral.api;

import java.nio.file.Path;
import java.time.Duration;

/** A child JVM for {@link MaintenanceKillNineTest}: repacks and collects garbage in a loop until killed. */
public final class MaintenanceCrashChild {
    private MaintenanceCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        try (Repository repo = Repository.open(Path.of(args[0]))) {
            for (int round = 0; ; round++) {
                repo.repack();
                repo.gc(false, Duration.ZERO);
                System.out.println("ROUND " + round + " END");
                System.out.flush();
            }
        }
    }
}
