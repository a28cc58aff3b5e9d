package dev.coral.cli;

import dev.coral.error.OneLine;
import dev.coral.store.ObjectId;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;

/** How the command line prints ids, sizes, dates, metrics, and names read from files. */
final class Text {
    /** Hex digits of an abbreviated id, as git's default. */
    static final int SHORT_ID = 7;

    private Text() {
    }

    /**
     * A tensor name or path as text output shows it: control characters (C0, DEL, C1) written as
     * {@code \\n}, {@code \\t}, {@code \\r} or {@code \\xNN}, so a name read from a file's header
     * cannot move the cursor, recolour or clear the terminal, or break a line of a table (git
     * quotes such names likewise). JSON output needs none of this: it escapes them itself.
     */
    static String shown(String s) {
        return OneLine.of(s);
    }

    static String shortId(ObjectId id) {
        return id.abbreviate(SHORT_ID);
    }

    /** ISO-8601 with the local offset, to the second: {@code 2025-11-23T17:03:00+01:00}. */
    static String date(long millis) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).atZone(ZoneId.systemDefault()).toOffsetDateTime());
    }

    /** {@code 1 chunk}, {@code 2 chunks}: a count and its noun, which takes an s unless the count is one. */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** {@code 1.5 MB}: decimal units, as disk sizes are usually given. */
    static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** {@code loss=0.31 step=1000}. */
    static String metrics(Map<String, String> metrics) {
        StringJoiner j = new StringJoiner(" ");
        metrics.forEach((k, v) -> j.add(shown(k) + "=" + shown(v)));
        return j.toString();
    }

    /**
     * Repository paths as the text output shows them: relative to the working folder, as git does,
     * so that they can be pasted into the next command there ({@code --json} keeps them relative
     * to the repository's root, as git's porcelain format does).
     */
    static Function<String, String> pathsFrom(Path root, Path workDir) {
        Path from = workDir.toAbsolutePath().normalize();
        Path top = root.toAbsolutePath().normalize();
        return p -> {
            Path rel = from.relativize(top.resolve(p).normalize());
            return rel.toString().replace(java.io.File.separatorChar, '/');
        };
    }
}
