package dev.coral.cli;

import dev.coral.io.Threads;
import java.io.BufferedInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * {@code coral daemon serve}: a JVM that outlives the commands it runs, so that each command the
 * launcher hands it skips the JVM's start and the compiler's warm-up (an 84 MB commit: 0.75-1.1 s
 * as a process of its own, of which about 0.45 s is the JIT). Listens on a loopback port named by
 * {@link DaemonInfo}; speaks {@link DaemonProtocol}. Each command runs on a thread of its own,
 * exactly as {@link Main#run} runs it in a process of its own, in its caller's folder
 * ({@code /proc/PID/cwd}), writing straight to its caller's standard output and error
 * ({@code /proc/PID/fd/N}, N the caller's copies of its 1 and 2: terminals, pipes or devices; for a file the caller runs
 * the command itself, see {@link #callerStream}), on a repository handle kept between commands as
 * {@code coral batch} keeps it ({@link SharedHandles}: opened again when the repository's folder or
 * settings change; let go after 10 minutes unused); the repository's locks order commands in this
 * JVM and across processes alike. When the caller goes away before its command ends (Ctrl-C) and no other
 * command is running, the daemon exits with 130, as the command's own JVM would have; with others
 * running, the command finishes. Stops after {@code idle} with nothing to do, when asked, when its
 * info file is removed or replaced (a {@code mvn clean}, another daemon), or when its jar is rebuilt.
 */
final class DaemonServer {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** How long after its last command an idle daemon collects garbage, handing a big command's heap back. */
    private static final long SHRINK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a repository's handle is kept with no command on it. */
    private static final long KEEP_HANDLE_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Path dir;
    private final Duration idle;
    private final boolean warmUp;
    private final PrintStream log;
    private final IntConsumer exit;
    private final String token = DaemonInfo.newToken();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong lastActive = new AtomicLong(System.nanoTime());
    private final AtomicLong commands = new AtomicLong();
    private final long startedNanos = System.nanoTime();
    private ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "coral-daemon-connection");
        t.setDaemon(true);
        return t;
    });
    /** The repositories' handles, kept from one command to the next as {@code coral batch} keeps them. */
    private final SharedHandles handles = new SharedHandles();
    private final Path jar = runningJar();
    private final FileTime jarTime = modified(jar);
    /** The build's sources, checked for each command (the launcher leaves that to the daemon); tests set their own. */
    private Optional<WatchedBuildSources> sources = BuildSources.of(System.getProperty("coral.home"), jar).map(WatchedBuildSources::new);
    private volatile boolean stopping;
    private volatile String stopReason;
    private volatile boolean shrunk = true;
    /** What {@code status} says of the warm-up: off, running (from the start: the info file is written before its thread starts), or how it ended. */
    private volatile String warmUpState;
    private ServerSocket server;
    private DaemonInfo info;

    /** A daemon in {@code dir}; with {@code warmUp}, it runs {@link DaemonWarmUp} when it starts. */
    DaemonServer(Path dir, Duration idle, boolean warmUp, PrintStream log) {
        this(dir, idle, warmUp, log, System::exit);
    }

    /** As the daemon, ending the JVM with {@code exit} (tests: a recorder) when its only command's caller goes away. */
    DaemonServer(Path dir, Duration idle, boolean warmUp, PrintStream log, IntConsumer exit) {
        this.dir = dir;
        this.idle = idle;
        this.warmUp = warmUp;
        this.warmUpState = warmUp ? "running" : "off";
        this.log = log;
        this.exit = exit;
    }

    /** Tests: connections are served on threads {@code factory} makes. Call before {@link #serve}. */
    void connectionThreads(java.util.concurrent.ThreadFactory factory) {
        connections.shutdown();
        connections = Executors.newCachedThreadPool(factory);
    }

    /** Listens until stopped; returns the exit code. */
    int serve() throws IOException {
        DaemonInfo.prepareFolder(dir);
        ZstdNativeLibrary.load();
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        info = new DaemonInfo(server.getLocalPort(), token, ProcessHandle.current().pid());
        info.write(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(this::forget, "coral-daemon-exit"));
        String copy = System.getProperty(DaemonCommand.COPY_PROPERTY);
        if (copy != null) { // the class loader keeps it open: its name can go now
            Files.deleteIfExists(Path.of(copy));
        }
        log("listening on 127.0.0.1:" + info.port() + ", pid " + info.pid() + ", stopping after " + idle.toMinutes()
                + " minutes idle");
        Thread watchdog = new Thread(this::watch, "coral-daemon-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Thread warming = warmUp ? startWarmUp() : null;
        while (!stopping) {
            Socket s;
            try {
                s = server.accept();
            } catch (SocketException e) {
                if (stopping) {
                    break;
                }
                throw e;
            }
            try {
                connections.execute(() -> handle(s));
            } catch (OutOfMemoryError e) {
                if (!Threads.couldNotStart(e)) {
                    throw e;
                }
                // ulimit -u, a pids limit: the caller, given no "started", runs the command in a JVM of its own
                log("could not start a thread for a connection (" + e.getMessage() + "): closed it unserved");
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closed either way
                }
            }
        }
        while (running.get() > 0) {
            sleep(20);
        }
        if (warming != null) {
            try {
                warming.join(); // it stops before its next command and removes its scratch folder
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        handles.close();
        sources.ifPresent(WatchedBuildSources::close);
        forget();
        log("stopped: " + stopReason + " (" + commands.get() + (commands.get() == 1 ? " command" : " commands") + " run)");
        return 0;
    }

    /**
     * Runs {@link DaemonWarmUp} in {@code DIR/warm-up-PID} on a thread of its own (first removing
     * what a daemon that died in its warm-up left); it gives way to the first command a caller
     * sends (or a stop) before its own next command.
     */
    private Thread startWarmUp() {
        Thread t = new Thread(() -> {
            DaemonWarmUp.removeLeftovers(dir);
            DaemonWarmUp.Outcome o = new DaemonWarmUp(dir.resolve("warm-up-" + ProcessHandle.current().pid()),
                    () -> stopping || commands.get() > 0).run();
            log("warm-up " + o.describe()); // before status says so: whoever reads that it ended finds it in the log
            warmUpState = o.describe();
            shrunk = false; // its garbage goes back to the system once the daemon is quiet
        }, "coral-daemon-warm-up");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The port it listens on (once {@link #serve} has started listening; for tests). */
    DaemonInfo info() {
        return info;
    }

    /** What {@code coral daemon status} shows: how long it has run, its commands, its heap. */
    String status() {
        Runtime rt = Runtime.getRuntime();
        long up = (System.nanoTime() - startedNanos) / 1_000_000_000L;
        return "pid " + info.pid() + ", port " + info.port() + ", up " + (up < 120 ? up + " s" : up / 60 + " min") + ", "
                + commands.get() + (commands.get() == 1 ? " command" : " commands") + " run, " + running.get() + " running, heap " + (rt.totalMemory() - rt.freeMemory()) / 1_000_000
                + " of " + rt.totalMemory() / 1_000_000 + " MB in use, warm-up " + warmUpState;
    }

    /** Stops taking connections; commands running finish first. */
    void stop(String why) {
        if (stopping) {
            return;
        }
        stopReason = why;
        stopping = true;
        try {
            server.close();
        } catch (IOException e) {
            // accept() ends either way
        }
    }

    private void forget() {
        try {
            if (info != null) {
                info.removeIfOurs(dir);
            }
        } catch (IOException e) {
            // a later client finds no daemon behind it and runs the command itself
        }
    }

    /** Once a second: stops when idle too long, when the info file is no longer this daemon's, or when the jar changed. */
    private void watch() {
        while (!stopping) {
            sleep(1000);
            if (running.get() > 0) {
                continue;
            }
            long quiet = System.nanoTime() - lastActive.get();
            String why = null;
            try {
                if (quiet > idle.toNanos()) {
                    why = "idle for " + idle.toMinutes() + " minutes";
                } else if (!info.equals(DaemonInfo.read(dir))) {
                    why = dir.resolve(DaemonInfo.FILE) + " no longer names this daemon";
                } else if (jar != null && !jarTime.equals(modified(jar))) {
                    why = jar + " was rebuilt";
                }
            } catch (IOException e) {
                why = "cannot read " + dir.resolve(DaemonInfo.FILE) + ": " + e.getMessage();
            }
            if (why != null) {
                stop(why);
            } else if (!shrunk && quiet > SHRINK_AFTER_NANOS) {
                shrunk = true;
                System.gc(); // hands the heap a big command grew back to the system while the daemon waits
            }
            try {
                handles.closeUnused(KEEP_HANDLE_NANOS);
            } catch (IOException e) {
                log("closing a repository handle: " + e.getMessage());
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            s.setSoTimeout(10_000); // a client that connects and says nothing holds no thread for long
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream reply = s.getOutputStream();
            try {
                DaemonProtocol.FieldReader r = new DaemonProtocol.FieldReader(in);
                if (!DaemonProtocol.MAGIC.equals(r.next("protocol name"))) {
                    send(reply, "refused not a " + DaemonProtocol.MAGIC + " request");
                    return;
                }
                if (!MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII), r.next("token").getBytes(StandardCharsets.UTF_8))) {
                    send(reply, "refused wrong token");
                    return;
                }
                String kind = r.next("request");
                switch (kind) {
                    case "ping" -> send(reply, "pong " + info.pid());
                    case "status" -> send(reply, "status " + status());
                    case "stop" -> {
                        send(reply, "stopping " + info.pid());
                        stop("asked to");
                    }
                    case "run" -> run(r, s, in, reply);
                    default -> send(reply, "refused no request " + kind);
                }
            } catch (IOException e) {
                send(reply, "refused " + e.getMessage());
                log("refused a request: " + e.getMessage());
            }
        } catch (IOException e) {
            log("connection failed: " + e.getMessage());
        }
    }

    private void run(DaemonProtocol.FieldReader r, Socket s, InputStream in, OutputStream reply) throws IOException {
        long pid = r.number("pid", Long.MAX_VALUE);
        long outFd = r.number("standard output's descriptor", Integer.MAX_VALUE);
        long errFd = r.number("standard error's descriptor", Integer.MAX_VALUE);
        boolean terminal = r.next("terminal flag").equals("1");
        String debug = r.next("CORAL_DEBUG");
        int argc = (int) r.number("argument count", 1 << 16);
        List<String> args = new ArrayList<>(argc);
        for (int i = 0; i < argc; i++) {
            args.add(r.next("argument " + (i + 1)));
        }
        String command = CoralCommand.requestedSubcommand(args.toArray(String[]::new));
        if (stopping) {
            fallback(reply, pid, command, "the daemon is stopping");
            return;
        }
        if ("daemon".equals(command) || "batch".equals(command)) {
            fallback(reply, pid, command, "coral " + command + " runs in a process of its own");
            return;
        }
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<String, String> env = servable(reply, pid, command, proc);
        if (env == null) {
            return;
        }
        Path folder;
        PrintStream out;
        PrintStream err;
        try {
            folder = proc.resolve("cwd").toRealPath();
            out = callerStream(proc.resolve("fd/" + outFd));
            try {
                err = callerStream(proc.resolve("fd/" + errFd));
            } catch (IOException e) {
                out.close();
                throw e;
            }
        } catch (IOException | SecurityException e) {
            fallback(reply, pid, command, "cannot reach the caller's folder or output: " + e.getMessage());
            return;
        }
        if (callerLeft(s, in)) { // it waited too long for "started" and runs the command itself: not twice
            out.close();
            err.close();
            log("pid " + pid + " left before its command started; not run");
            return;
        }
        running.incrementAndGet();
        long n = commands.incrementAndGet();
        long t0 = System.nanoTime();
        int code = 1;
        Thread watcher = null;
        try {
            send(reply, "started");
            s.setSoTimeout(0);
            watcher = watchCaller(in, pid, command);
            code = Main.run(Session.inDaemon(out, err, terminal, Main.debugEnabled(debug), handles, folder, env),
                    args.toArray(String[]::new));
        } finally {
            out.close();
            err.close();
            if (watcher != null) {
                watcher.interrupt();
            }
            lastActive.set(System.nanoTime());
            shrunk = false;
            running.decrementAndGet();
        }
        log("#" + n + " pid " + pid + " coral " + (command == null ? "" : command) + ": exit " + code + " in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        send(reply, "exit " + code);
    }

    /** Whether the caller closed the connection (it sends nothing after its request, so any end of input is that). */
    private static boolean callerLeft(Socket s, InputStream in) throws IOException {
        s.setSoTimeout(1);
        try {
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Watches the connection of a running command: the caller sends nothing more, so its end
     * means the caller is gone (Ctrl-C) before the command ended.
     */
    private Thread watchCaller(InputStream in, long pid, String command) {
        Thread t = new Thread(() -> {
            try {
                if (in.read() >= 0 || Thread.currentThread().isInterrupted()) {
                    return;
                }
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
            if (running.get() == 1) {
                log("pid " + pid + " went away while coral " + command + " ran in it; exiting as its own process would (130)");
                exit.accept(130);
                return;
            }
            log("pid " + pid + " went away while coral " + command + " ran in it; other commands are running, so it finishes");
        }, "coral-daemon-caller");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * A stream to the caller's standard output or error: a terminal, a pipe or a device, which have
     * no file offset. Not a regular file: opened again here it would get an offset of its own, and
     * whatever its shell writes next would land over the command's output (found at the first
     * try: {@code { coral status; echo done; } >f}); such a caller runs the command itself.
     */
    private static PrintStream callerStream(Path fd) throws IOException {
        if (!Files.readAttributes(fd, java.nio.file.attribute.BasicFileAttributes.class).isOther()) {
            throw new IOException(fd + " is a file, not a terminal, pipe or device");
        }
        FileOutputStream f = new FileOutputStream(fd.toString(), true);
        return new PrintStream(new LineFlushingOutput(f, 1 << 13), false, StandardCharsets.UTF_8);
    }

    /** This JVM's own {@code java}, which a caller's launcher must choose for the daemon to serve it. */
    private static final Path OWN_JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    /**
     * The caller's environment, or null after telling it to run the command itself: when this
     * daemon's build is older than its sources (the launcher then builds), or the command would not
     * run here as in the caller's own JVM ({@link CallerEnvironment}: its time zone, locale, JVM
     * options, umask, user, mount namespace, limits or {@code java} are not this process's).
     */
    private Map<String, String> servable(OutputStream reply, long pid, String command, Path proc) {
        String why = staleBuild();
        Map<String, String> env = null;
        if (why == null) {
            try {
                env = CallerEnvironment.read(proc);
                String variable = CallerEnvironment.differing(env, System.getenv());
                String process = variable != null ? null : CallerEnvironment.processDifference(proc, Path.of("/proc/self"));
                String java = variable != null || process != null ? null
                        : CallerEnvironment.javaDifference(env, proc.resolve("cwd"), OWN_JAVA);
                if (variable != null) {
                    why = "the caller's " + variable + " is not the daemon's (the JVM reads it when it starts)";
                } else if (process != null) {
                    why = "the caller's " + process;
                } else if (java != null) {
                    why = "the caller's " + java;
                }
            } catch (IOException | SecurityException e) {
                why = "cannot reach the caller's environment or process: " + e.getMessage();
            }
        }
        if (why != null) {
            fallback(reply, pid, command, why);
            return null;
        }
        return env;
    }

    /** Why this daemon's build is older than its sources, or null when it is not (or they are not known). */
    private String staleBuild() {
        if (sources.isEmpty()) {
            return null;
        }
        try {
            return sources.get().newerThanJar().map(p -> p + " is newer than the build").orElse(null);
        } catch (IOException e) {
            return "cannot check the build's sources: " + e.getMessage();
        }
    }

    /** Tests: the sources to check for each command in place of the running build's. */
    void checkSources(BuildSources s) {
        sources.ifPresent(WatchedBuildSources::close);
        sources = Optional.of(new WatchedBuildSources(s));
    }

    /** Tells the caller to run the command itself, and logs why. */
    private void fallback(OutputStream reply, long pid, String command, String why) {
        send(reply, "fallback " + why);
        log("pid " + pid + " runs coral " + command + " itself: " + why);
    }

    private static void send(OutputStream reply, String line) {
        try {
            reply.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            reply.flush();
        } catch (IOException e) {
            // the caller is gone; the watcher has seen it
        }
    }

    private synchronized void log(String line) {
        log.println(LocalDateTime.now().format(TIME) + " " + line);
        log.flush();
    }

    /**
     * The build's jar this daemon was started from ({@link DaemonCommand#JAR_PROPERTY}: it runs
     * from a copy, see there), else the one it runs from, or null when its class path is not one
     * jar (tests).
     */
    private static Path runningJar() {
        String started = System.getProperty(DaemonCommand.JAR_PROPERTY);
        if (started != null) {
            return Path.of(started);
        }
        String cp = System.getProperty("java.class.path", "");
        return cp.endsWith(".jar") && !cp.contains(java.io.File.pathSeparator) ? Path.of(cp).toAbsolutePath() : null;
    }

    private static FileTime modified(Path p) {
        try {
            return p == null ? null : Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
