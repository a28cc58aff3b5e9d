package dev.coral.perf.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a scenario runs with: the scale, a scratch folder of its own, and where charts go. */
public record Context(Scale scale, Path work, Path out) {
    /** A fresh empty folder under the scratch folder. */
    public Path dir(String name) throws IOException {
        Path d = work.resolve(name);
        if (Files.exists(d)) {
            Files2.deleteTree(d);
        }
        return Files.createDirectories(d);
    }

    public static void log(String fmt, Object... args) {
        System.out.printf(java.util.Locale.ROOT, "  " + fmt + "%n", args);
        System.out.flush();
    }
}
