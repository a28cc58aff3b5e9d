package dev.coral.cli;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral daemon start|stop|status|serve}: a JVM that runs the launcher's commands without starting one each. */
@Command(name = "daemon", description = {
    "Start, stop or ask after a daemon: a Java process that runs this build's commands for the coral launcher, "
        + "so that each skips starting a JVM and warming up its compiler (an 84 MB commit: about 0.3 s in a warm "
        + "daemon against 0.8-1.1 s on its own; status and log: tens of milliseconds). Off unless started.",
    "start: starts one for this user and this build (if none runs), in the background; it stops after --idle "
        + "minutes with nothing to do, when this build's jar is rebuilt, or on coral daemon stop. "
        + "CORAL_DAEMON=1 makes the launcher start one when none runs; CORAL_DAEMON=0 (or CORAL_JAVA_OPTS) runs "
        + "commands in a JVM of their own even when one runs.",
    "stop: stops it once the commands it runs are done. status: exit code 0 if one runs, 1 if not.",
    "While it runs, every command but batch and daemon runs in it, in the caller's folder, writing to the caller's "
        + "standard output and error, with the same output and exit code, keeping each repository open between commands (as batch does); Ctrl-C ends the command as it would its "
        + "own JVM (the daemon exits with it unless other commands are running in it, which then finish). Linux only "
        + "(it reaches the caller's folder and output through /proc); elsewhere, or when it cannot (output to a "
        + "socket, or a file: the shell's own writes after it would land over the command's), the launcher runs the "
        + "command itself. A command takes CORAL_AUTHOR from the caller's environment; a caller whose TZ, locale, "
        + "JVM options (JAVA_TOOL_OPTIONS ...), CORAL_THREADS or umask differ from the daemon's, or whose build's "
        + "sources are newer than the daemon's jar, runs the command itself (the log says why). "
        + "Its log: DIR/log (DIR: cli/target/daemon-UID beside the jar, or CORAL_DAEMON_DIR).",
    "serve: runs the daemon in the foreground (what start runs in the background)."})
final class DaemonCommand extends Subcommand {
    static final String DIR_PROPERTY = "coral.daemon.dir";
    /** The build's jar a daemon was started from (it stops when that changes). */
    static final String JAR_PROPERTY = "coral.daemon.jar";
    /** The copy of that jar the daemon runs from, which it deletes once it has opened it. */
    static final String COPY_PROPERTY = "coral.daemon.copy";
    /** How big the daemon's log may grow before a start moves it to log.1. */
    static final long LOG_KEPT_BYTES = 1 << 20;

    @Parameters(index = "0", paramLabel = "ACTION", description = "start, stop, status or serve.")
    String action;

    @Option(names = "--idle", paramLabel = "MINUTES", defaultValue = "30",
            description = "start, serve: stop after this many minutes with no command (default: ${DEFAULT-VALUE}).")
    long idleMinutes;

    @Option(names = "--no-warm-up", negatable = false, description = "start, serve: do not warm the compiler up when it "
            + "starts. By default the daemon first commits and checks out a small history of its own in a scratch "
            + "repository (DIR/warm-up-PID, 5-6 s of one core), giving way to the first command a caller sends.")
    boolean noWarmUp;

    @Option(names = "--dir", paramLabel = "DIR", description = "The daemon's folder (default: the launcher's, "
            + "CORAL_DAEMON_DIR or cli/target/daemon-UID).")
    Path dir;

    @Mixin
    QuietOption quiet;

    @Override
    int execute() throws Exception {
        if (idleMinutes < 1 || idleMinutes > 7 * 24 * 60) {
            throw usage("--idle " + idleMinutes + ": give minutes from 1 to " + 7 * 24 * 60);
        }
        Path folder = folder();
        return switch (action) {
            case "start" -> start(folder);
            case "stop" -> stop(folder);
            case "status" -> status(folder);
            case "serve" -> new DaemonServer(folder, Duration.ofMinutes(idleMinutes), !noWarmUp, coral.session().err()).serve();
            default -> throw usage("no daemon action '" + action + "': start, stop, status or serve");
        };
    }

    private Path folder() {
        if (dir != null) {
            return userPath(dir.toString());
        }
        String d = System.getProperty(DIR_PROPERTY);
        if (d == null || d.isEmpty()) {
            throw usage("no daemon folder: run coral daemon through the coral launcher, or give --dir DIR");
        }
        return Path.of(d).toAbsolutePath().normalize();
    }

    /** The daemon {@code folder} names if it answers, else null. */
    private static DaemonInfo answering(Path folder) throws IOException {
        DaemonInfo info = DaemonInfo.read(folder);
        return info != null && DaemonProtocol.ping(info) > 0 ? info : null;
    }

    private int start(Path folder) throws IOException, InterruptedException {
        DaemonInfo running = answering(folder);
        if (running != null) {
            out().println("coral daemon is running (pid " + running.pid() + ")");
            return 0;
        }
        try {
            DaemonInfo.prepareFolder(folder);
        } catch (java.nio.file.AccessDeniedException e) {
            // an install shared by its owner: cli/target is not the user's (found running commands as another user)
            throw new dev.coral.error.CoralException(folder + ": permission denied; give the daemon a folder of yours with "
                    + "CORAL_DAEMON_DIR (or --dir)");
        }
        try (var old = Files.newDirectoryStream(folder, "jar-*.jar")) { // copies no daemon runs from (one that failed to start)
            for (Path p : old) {
                Files.deleteIfExists(p);
            }
        }
        Path log = folder.resolve("log");
        if (Files.isRegularFile(log) && Files.size(log) > LOG_KEPT_BYTES) { // a line per command: the last run's lines are kept beside it
            Files.move(log, folder.resolve("log.1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(serveCommand(folder));
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            DaemonInfo info = answering(folder);
            if (info != null) {
                out().println("coral daemon started (pid " + info.pid() + "; stops after " + idleMinutes
                        + " minutes idle, or on coral daemon stop)");
                return 0;
            }
            if (!p.isAlive() && p.exitValue() != 0) {
                break;
            }
            Thread.sleep(20);
        }
        p.destroy();
        throw new IOException("the daemon did not start; see " + log + (lastLine(log).isEmpty() ? "" : ": " + lastLine(log)));
    }

    /**
     * Lets zstd-jni load its native library without the warning JDK 22 and later print for it
     * (JEP 472), as the jar's manifest ({@code Enable-Native-Access}) does for {@code java -jar};
     * JDK 17 takes the option too and says nothing.
     */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    /**
     * {@code java} with this JVM's options (the launcher's archive, {@code CORAL_JAVA_OPTS}, e.g. a heap
     * size) running {@code coral daemon serve}, in a session of its own where {@code setsid} is there
     * (a terminal's hang-up does not reach it).
     */
    private List<String> serveCommand(Path folder) throws IOException {
        List<String> cmd = new ArrayList<>();
        for (String s : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(s))) {
                cmd.add(s);
                break;
            }
        }
        Optional<String> java = ProcessHandle.current().info().command();
        cmd.add(java.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> leftOut = new ArrayList<>();
        cmd.addAll(daemonJvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments(), leftOut));
        for (String a : leftOut) {
            coral.session().err().println("coral: warning: the daemon starts without " + a + ": it would apply to every "
                    + "command the daemon runs (a command that needs it: CORAL_JAVA_OPTS, which bypasses the daemon)");
        }
        String classPath = System.getProperty("java.class.path");
        if (classPath.endsWith(".jar") && !classPath.contains(File.pathSeparator)) {
            // a copy: the launcher rebuilds the jar in place, and a JVM whose jar changes under it fails to load
            // the classes it has not loaded yet (found: a daemon died of NoClassDefFoundError in a rebuild)
            Path copy = folder.resolve("jar-" + System.nanoTime() + ".jar");
            Files.copy(Path.of(classPath), copy);
            cmd.add("-D" + JAR_PROPERTY + "=" + Path.of(classPath).toAbsolutePath());
            cmd.add("-D" + COPY_PROPERTY + "=" + copy);
            classPath = copy.toString();
        }
        if (!cmd.contains(NATIVE_ACCESS)) {
            cmd.add(NATIVE_ACCESS); // what the jar's manifest grants a JVM started with -jar
        }
        cmd.addAll(List.of("-cp", classPath, Main.class.getName(), "daemon", "serve",
                "--dir", folder.toString(), "--idle", Long.toString(idleMinutes)));
        if (noWarmUp) {
            cmd.add("--no-warm-up");
        }
        return cmd;
    }

    /**
     * Of this JVM's options ({@code input}), those the daemon starts with: the heap, the collector
     * and other settings of the JVM, the launcher's class-data archive, {@code -Dcoral.*}; not a
     * system property of another name, added to {@code leftOut} (one set at the start, e.g.
     * {@code -Duser.timezone} or {@code -Dfile.encoding}, changed what every caller's command printed:
     * found by fuzzing the daemon), nor an agent or a class list the launcher asked this JVM for.
     */
    static List<String> daemonJvmOptions(List<String> input, List<String> leftOut) {
        List<String> kept = new ArrayList<>();
        for (String a : input) {
            if (a.startsWith("-XX:DumpLoadedClassList") || a.startsWith("-agentlib") || a.startsWith("-javaagent")) {
                continue;
            }
            if (a.startsWith("-D") && !a.startsWith("-Dcoral.")) {
                leftOut.add(a);
                continue;
            }
            kept.add(a);
        }
        return kept;
    }

    private int stop(Path folder) throws IOException, InterruptedException {
        DaemonInfo info = answering(folder);
        if (info == null) {
            out().println("coral daemon is not running");
            return 0;
        }
        DaemonProtocol.call(info, List.of(DaemonProtocol.MAGIC, info.token(), "stop"), 5000);
        Optional<ProcessHandle> p = ProcessHandle.of(info.pid());
        if (p.isPresent()) {
            try {
                p.get().onExit().get(10, java.util.concurrent.TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("the daemon (pid " + info.pid() + ") was asked to stop and still runs");
            }
        }
        out().println("coral daemon stopped (pid " + info.pid() + ")");
        return 0;
    }

    private int status(Path folder) throws IOException {
        DaemonInfo info = DaemonInfo.read(folder);
        List<String> reply = List.of();
        if (info != null) {
            try {
                reply = DaemonProtocol.call(info, List.of(DaemonProtocol.MAGIC, info.token(), "status"), 5000);
            } catch (IOException e) {
                // not there
            }
        }
        if (reply.size() != 1 || !reply.get(0).startsWith("status ")) {
            out().println("coral daemon is not running");
            return 1;
        }
        out().println("coral daemon is running (" + reply.get(0).substring(7) + "; log " + folder.resolve("log") + ")");
        return 0;
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "";
        }
    }
}
