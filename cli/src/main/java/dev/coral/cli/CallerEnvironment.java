package dev.coral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The environment a command sent to {@code coral daemon} would have had in a JVM of its own: the
 * caller's ({@code /proc/PID/environ}, the launcher's environment as it was started), and whether
 * the daemon can run the command in it. A command reads {@code CORAL_AUTHOR} from its session;
 * what the JVM itself takes from its environment when it starts (the time zone, the locale's
 * charset and language, options for the JVM) and {@code CORAL_THREADS} (read when a repository
 * is opened, and the daemon keeps its handles) cannot change for one command, so a caller whose
 * values differ from the daemon's runs the command itself.
 */
final class CallerEnvironment {
    /** What the JVM or a kept repository handle takes from the environment once, in the order they are compared. */
    static final List<String> FIXED = List.of("TZ", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "LANG",
            "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CORAL_THREADS");
    /** Larger than any environment Linux starts a process with (its arguments and environment share 2 MiB by default). */
    static final int MAX_BYTES = 8 << 20;

    private CallerEnvironment() {
    }

    /** The environment of the process whose {@code /proc} folder is {@code proc}, as that process was started. */
    static Map<String, String> read(Path proc) throws IOException {
        byte[] raw;
        try (InputStream in = Files.newInputStream(proc.resolve("environ"))) {
            raw = in.readNBytes(MAX_BYTES + 1);
        }
        if (raw.length > MAX_BYTES) {
            throw new IOException(proc.resolve("environ") + ": over " + MAX_BYTES + " bytes");
        }
        return parse(raw);
    }

    /**
     * The file-creation mask of the process whose {@code /proc} folder is {@code proc}, as
     * {@code /proc/PID/status} gives it ({@code 0022}), or null when it does not (Linux before 4.7):
     * the files a command creates take it, and a process has one for all its threads.
     */
    static String umask(Path proc) throws IOException {
        return status(proc).get("Umask");
    }

    /**
     * How the process at {@code caller} (a {@code /proc/PID} folder) differs from {@code self}'s in
     * what a command it sends takes from the process it runs in, not from its arguments: the
     * file-creation mask and the user and groups (the files a command creates take them, and they
     * decide what it may read), the mount namespace and root folder (a path names another file in
     * another one: the caller's folder, {@code /proc/PID/cwd}, would be the daemon's folder of that
     * name), and the resource limits (a file size limit the caller's own JVM would hit). As the
     * daemon tells it: "umask 0077 is not the daemon's 0022 (...)"; null when none differs.
     * Found by fuzzing the daemon against plain commands (2026-12-05).
     */
    static String processDifference(Path caller, Path self) throws IOException {
        Map<String, String> status = status(caller);
        Map<String, String> own = status(self);
        if (!Objects.equals(status.get("Umask"), own.get("Umask"))) {
            return "umask " + status.get("Umask") + " is not the daemon's " + own.get("Umask") + " (the files a command creates take it)";
        }
        for (String field : List.of("Uid", "Gid", "Groups")) {
            if (!Objects.equals(status.get(field), own.get(field))) {
                return "user or groups are not the daemon's (" + field + ": " + status.get(field) + " against " + own.get(field) + ")";
            }
        }
        if (!Files.readSymbolicLink(caller.resolve("ns/mnt")).equals(Files.readSymbolicLink(self.resolve("ns/mnt")))) {
            return "mount namespace is not the daemon's (its folders may not be the daemon's)";
        }
        if (!Files.readSymbolicLink(caller.resolve("root")).equals(Files.readSymbolicLink(self.resolve("root")))) {
            return "root folder is not the daemon's (chroot)";
        }
        List<String> limits = limits(caller);
        List<String> ownLimits = limits(self);
        for (int i = 0; i < Math.max(limits.size(), ownLimits.size()); i++) {
            String a = i < limits.size() ? limits.get(i) : "";
            if (!a.equals(i < ownLimits.size() ? ownLimits.get(i) : "")) {
                return "resource limits are not the daemon's (" + a.replaceAll("\\s+", " ").trim() + ")";
            }
        }
        return null;
    }

    /**
     * The {@code java} the launcher would run for a caller of environment {@code env} whose folder
     * is {@code cwd}: {@code $JAVA_HOME/bin/java} when {@code JAVA_HOME} is set, else the first
     * executable {@code java} on its {@code PATH} (an empty or relative entry taken from {@code
     * cwd}, as the shell takes it); null when there is none.
     */
    static Path launcherJava(Map<String, String> env, Path cwd) {
        String home = env.get("JAVA_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home, "bin", "java");
        }
        for (String entry : env.getOrDefault("PATH", "").split(":", -1)) {
            Path java = (entry.isEmpty() ? cwd : cwd.resolve(entry)).resolve("java");
            if (Files.isRegularFile(java) && Files.isExecutable(java)) {
                return java;
            }
        }
        return null;
    }

    /**
     * How the {@code java} the caller's launcher would run ({@link #launcherJava}) differs from the
     * daemon's own ({@code own}, its {@code java.home}'s), compared as real paths, or null when it
     * is the same one or cannot be told (none found, a path that cannot be resolved: the caller's
     * launcher found it a moment before). A JDK taken by another {@code JAVA_HOME} or {@code PATH}
     * is another JVM: its command runs there, not in a daemon started with the first (until
     * 2026-12-07 a daemon kept running every command on the JDK it was started with).
     */
    static String javaDifference(Map<String, String> env, Path cwd, Path own) {
        Path theirs = launcherJava(env, cwd);
        if (theirs == null) {
            return null;
        }
        try {
            Path a = theirs.toRealPath();
            Path b = own.toRealPath();
            return a.equals(b) ? null : "java (" + a + ") is not the daemon's (" + b + ")";
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** The fields of {@code /proc/PID/status}, by name without the colon, each value with its runs of blanks made one space. */
    private static Map<String, String> status(Path proc) throws IOException {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(proc.resolve("status"), StandardCharsets.UTF_8)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim().replaceAll("\\s+", " "));
            }
        }
        return fields;
    }

    /**
     * The lines of {@code /proc/PID/limits}, but for the soft limit of open files, which every JVM
     * raises to the hard one when it starts (so the caller's own JVM would run with the daemon's).
     */
    static List<String> limits(Path proc) throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(proc.resolve("limits"), StandardCharsets.UTF_8)) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                line = "Max open files (hard) " + (f.length > 1 ? f[1] : "");
            }
            lines.add(line);
        }
        return lines;
    }

    /**
     * {@code NAME=VALUE} entries, each ended by a NUL (the last one may not be); entries without
     * {@code =} are left out; of a name given twice, the last (bash, the launcher, passes that one on
     * to the JVM it starts).
     */
    static Map<String, String> parse(byte[] raw) {
        Map<String, String> env = new HashMap<>();
        int start = 0;
        for (int i = 0; i <= raw.length; i++) {
            if (i == raw.length || raw[i] == 0) {
                String entry = new String(raw, start, i - start, StandardCharsets.UTF_8);
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1)); // the last, as bash (the launcher) passes it on
                }
                start = i + 1;
            }
        }
        return env;
    }

    /**
     * {@code env} as the launcher hands it to the JVM: with no locale, or the C or POSIX one, it
     * runs the JVM in {@code C.UTF-8} ({@code LC_ALL}), which then decides every category.
     */
    static Map<String, String> asLaunched(Map<String, String> env) {
        String locale = firstSet(env, "LC_ALL", "LC_CTYPE", "LANG");
        if (locale != null && !locale.equals("C") && !locale.equals("POSIX")) {
            return env;
        }
        Map<String, String> m = new HashMap<>(env);
        m.put("LC_ALL", "C.UTF-8");
        return m;
    }

    /**
     * The first of {@link #FIXED} whose value differs between the caller's environment (as the
     * launcher would start a JVM with it) and the daemon's, or null when none does. When the
     * effective {@code LC_ALL} is set and the same for both, the other locale variables do not
     * matter (it overrides them).
     */
    static String differing(Map<String, String> caller, Map<String, String> daemon) {
        Map<String, String> c = asLaunched(caller);
        Map<String, String> d = asLaunched(daemon);
        boolean allLocale = nonEmpty(c.get("LC_ALL")) && Objects.equals(c.get("LC_ALL"), d.get("LC_ALL"));
        for (String name : FIXED) {
            if (allLocale && (name.startsWith("LC_") || name.equals("LANG"))) {
                continue;
            }
            String a = c.get(name);
            String b = d.get(name);
            if (!name.equals("TZ")) { // an empty TZ is UTC to the C library, not the system's zone
                a = emptyAsUnset(a);
                b = emptyAsUnset(b);
            }
            if (!Objects.equals(a, b)) {
                return name;
            }
        }
        return null;
    }

    private static String firstSet(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (nonEmpty(v)) {
                return v;
            }
        }
        return null;
    }

    private static boolean nonEmpty(String v) {
        return v != null && !v.isEmpty();
    }

    /** An empty locale, option or thread-count variable is as good as none. */
    private static String emptyAsUnset(String v) {
        return v == null || v.isEmpty() ? null : v;
    }
}
