package dev.coral.io;

import java.io.IOException;

/**
 * Named points between the steps of every write path (as Lucene's {@code testPoint}), where a
 * test can make the write fail as a crash or a full disk would. Production code never sets an
 * injector: each {@link #hit} is then one thread-local read. The injector is per thread, so a
 * test's faults never reach other tests' threads.
 */
public final class FaultPoints {
    /** Called at each named point; throwing aborts the write there. */
    @FunctionalInterface
    public interface Injector {
        void at(String point) throws IOException;
    }

    private static final ThreadLocal<Injector> INJECTOR = new ThreadLocal<>();

    private FaultPoints() {
    }

    /** Marks a point of a write path. */
    public static void hit(String point) throws IOException {
        Injector i = INJECTOR.get();
        if (i != null) {
            i.at(point);
        }
    }

    /** A stable name for the file a point writes: packs and their indexes by kind, not by their (content) names. */
    public static String fileKind(java.nio.file.Path file) {
        String n = file.getFileName().toString();
        if (n.startsWith("pack-")) {
            return "pack-*" + n.substring(n.lastIndexOf('.'));
        }
        return n;
    }

    /** Installs {@code injector} for this thread (null removes it). For tests. */
    public static void install(Injector injector) {
        if (injector == null) {
            INJECTOR.remove();
        } else {
            INJECTOR.set(injector);
        }
    }
}
