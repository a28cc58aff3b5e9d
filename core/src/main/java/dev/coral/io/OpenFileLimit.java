package dev.coral.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The number of files this process may hold open ({@code ulimit -n}), and the failure that says
 * it has reached it. Found with {@code ulimit -n 48} on a repository of 57 packs: a store kept up
 * to 128 packs open, so {@code fsck} reported 19 packs as "problems" ("Too many open files:
 * affects file w.npy in commit ...") and a checkout failed; the store now sizes its bound on open
 * packs from this limit and closes packs when the limit is met anyway (other stores, other files).
 */
public final class OpenFileLimit {
    /** The system's words for EMFILE (this process's limit) and ENFILE (the system's), as the JDK passes them on. */
    private static final String REACHED = "Too many open files";

    private static final Path LIMITS = Path.of("/proc/self/limits");

    private OpenFileLimit() {
    }

    /** The files this process may hold open, as {@code /proc/self/limits} gives it; -1 when unknown or unlimited. */
    public static long current() {
        return Known.SOFT_LIMIT;
    }

    /** Whether {@code t}, or one of its causes, is a file that could not be opened as the process or system has too many open. */
    public static boolean reached(Throwable t) {
        Throwable e = t;
        for (int depth = 0; e != null && depth < 16; depth++, e = e.getCause()) {
            if (says(e.getMessage())) { // a FileSystemException's message holds its reason; a FileNotFoundException's "PATH (REASON)"
                return true;
            }
        }
        return false;
    }

    /** Whether an error's text says a file could not be opened for that reason. */
    public static boolean says(String message) {
        return message != null && message.contains(REACHED);
    }

    /** What to tell the user who met the limit: how many files the process may open and how to raise it. */
    public static String advice() {
        long n = current();
        return (n > 0 ? "this process may open " + n + " files" : "too many files are open")
                + ": raise the limit (ulimit -n) and run it again";
    }

    /** The soft limit from a {@code /proc/self/limits} text; -1 when it has none or says unlimited. */
    static long softLimit(String limits) {
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String[] words = line.substring("Max open files".length()).trim().split("\\s+");
                if (words.length > 0 && words[0].chars().allMatch(Character::isDigit) && !words[0].isEmpty()) {
                    try {
                        return Long.parseLong(words[0]);
                    } catch (NumberFormatException e) {
                        return -1; // past a long: as good as unlimited
                    }
                }
                return -1; // "unlimited"
            }
        }
        return -1;
    }

    /** Read once, at first use: the JVM raised the soft limit to the hard one as it started, and Coral never changes it. */
    private static final class Known {
        static final long SOFT_LIMIT = read();

        private static long read() {
            try {
                return softLimit(new String(Files.readAllBytes(LIMITS), StandardCharsets.US_ASCII));
            } catch (IOException | RuntimeException e) {
                return -1; // not Linux, or /proc not mounted
            }
        }
    }
}
