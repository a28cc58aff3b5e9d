package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coral.io.RepositoryLock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DaemonServer} in this JVM, its callers real processes ({@code sleep}) whose folder and
 * standard output and error (pipes to this test) the daemon takes through /proc, as it takes the
 * launcher's. Linux only: elsewhere the launcher never asks a daemon.
 */
class DaemonServerTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<Integer> exits = new CopyOnWriteArrayList<>();
    private final List<Process> callers = new ArrayList<>();
    private DaemonServer server;
    private CompletableFuture<Integer> serving;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "the daemon reaches its callers through /proc: Linux only");
        server = serve(Duration.ofMinutes(5));
    }

    private DaemonServer serve(Duration idle) throws Exception {
        return serve(idle, false);
    }

    private DaemonServer serve(Duration idle, boolean warmUp) throws Exception {
        return serve(idle, warmUp, null);
    }

    private DaemonServer serve(Duration idle, boolean warmUp, java.util.concurrent.ThreadFactory connectionThreads) throws Exception {
        DaemonServer s = new DaemonServer(dir.resolve("daemon"), idle, warmUp, new PrintStream(log, true, StandardCharsets.UTF_8), exits::add);
        if (connectionThreads != null) {
            s.connectionThreads(connectionThreads);
        }
        serving = CompletableFuture.supplyAsync(() -> {
            try {
                return s.serve();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, OwnThread.EACH);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (DaemonInfo.read(dir.resolve("daemon")) == null) {
            assertTrue(System.nanoTime() < until, "the daemon wrote no info file: " + log);
            Thread.sleep(5);
        }
        return s;
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop("the test is over");
            serving.get(60, TimeUnit.SECONDS);
        }
        callers.forEach(Process::destroyForcibly);
    }

    /** A process in {@code cwd} whose standard output and error are pipes this test reads. */
    private Process caller(Path cwd) throws IOException {
        return caller(cwd, Map.of());
    }

    /** As {@link #caller(Path)}, its environment this JVM's with {@code env} set (a null value: removed). */
    private Process caller(Path cwd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sleep", "120").directory(cwd.toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        callers.add(p);
        return p;
    }

    private record Reply(List<String> lines, String out, String err) {
        int code() {
            String last = lines.get(lines.size() - 1);
            assertTrue(last.startsWith("exit "), lines.toString());
            return Integer.parseInt(last.substring(5));
        }
    }

    /** Runs {@code coral args} in the daemon for {@code caller}; what it replied and what it wrote to the caller's output. */
    private Reply run(Process caller, String... args) throws IOException {
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        List<String> lines = DaemonProtocol.call(info, DaemonProtocol.runRequest(info.token(), caller.pid(), 1, 2, false, "", List.of(args)), 120_000);
        return new Reply(lines, drain(caller.getInputStream()), drain(caller.getErrorStream()));
    }

    /** What a pipe holds now (the daemon closed its end before it replied; the caller still holds its own). */
    private static String drain(InputStream in) throws IOException {
        byte[] b = new byte[in.available()];
        int n = in.readNBytes(b, 0, b.length);
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private List<String> rawCall(byte[] request) throws IOException {
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), info.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request);
            s.shutdownOutput();
            String text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return List.of(text.split("\n"));
        }
    }

    /**
     * A daemon that cannot start a thread for a connection (ulimit -u, a pids limit) closes it
     * unserved, so that the launcher runs the command in a JVM of its own, and serves the next:
     * its accept loop had ended with the OutOfMemoryError, and the daemon with it.
     */
    @Test
    void aConnectionNoThreadCanServeIsClosedAndTheDaemonGoesOn() throws Exception {
        server.stop("replaced by one whose threads are refused");
        serving.get(60, TimeUnit.SECONDS);
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        server = serve(Duration.ofMinutes(5), false, r -> {
            if (made.getAndIncrement() == 0) {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
            }
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        List<String> refused = rawCall(DaemonProtocol.request(List.of(DaemonProtocol.MAGIC, info.token(), "ping")));
        assertEquals(List.of(""), refused, "closed without a reply");
        assertTrue(DaemonProtocol.ping(info) > 0, "still serving");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("could not start a thread for a connection"), log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runsCommandsInTheCallersFolderWritingToItsOutput() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Process p = caller(repo);
        Reply init = run(p, "init");
        assertEquals(List.of("started", "exit 0"), init.lines());
        assertTrue(Files.isDirectory(repo.resolve(".coral")), "init ran in the caller's folder");
        Cli.writeModel(repo.resolve("model.safetensors"), 7, "a", "b");
        assertEquals(0, run(p, "commit", "-m", "one", "model.safetensors").code());
        Reply log = run(p, "log", "--oneline");
        assertEquals(0, log.code());
        assertTrue(log.out().endsWith(" (HEAD -> main) one\n"), log.out());
        assertEquals("", log.err());
        Reply unknown = run(p, "nosuch");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("'nosuch' is not a coral command"), unknown.err());
        Reply bad = run(p, "checkout", "no-such-branch");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("no-such-branch"), bad.err());
        Reply elsewhere = run(p, "-C", "..", "status");
        assertEquals(1, elsewhere.code(), "-C is taken against the caller's folder");
        assertTrue(elsewhere.err().contains("not a Coral repository"), elsewhere.err());
        assertTrue(this.log.toString(StandardCharsets.UTF_8).contains("coral commit: exit 0"), this.log.toString(StandardCharsets.UTF_8));
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        List<String> status = DaemonProtocol.call(info, List.of(DaemonProtocol.MAGIC, info.token(), "status"), 30_000);
        assertTrue(status.get(0).matches("status pid \\d+, port \\d+, up \\d+ s, 6 commands run, 0 running, heap \\d+ of \\d+ MB in use, warm-up off"),
                status.toString());
    }

    @Test
    void aCallerWhoseOutputIsAFileRunsTheCommandItself() throws Exception {
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder("sleep", "120").directory(dir.toFile()).redirectOutput(out.toFile()).start();
        callers.add(p);
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        List<String> reply = DaemonProtocol.call(info, DaemonProtocol.runRequest(info.token(), p.pid(), 1, 2, false, "", List.of("init")), 30_000);
        assertEquals(1, reply.size(), reply.toString());
        assertTrue(reply.get(0).startsWith("fallback ") && reply.get(0).contains("is a file"), reply.toString());
        assertFalse(Files.exists(dir.resolve(".coral")), "nothing ran");
    }

    @Test
    void batchAndDaemonRunInProcessesOfTheirOwn() throws Exception {
        Process p = caller(dir);
        for (String command : List.of("batch", "daemon")) {
            List<String> lines = run(p, command, "status").lines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("fallback coral " + command), lines.toString());
        }
    }

    @Test
    void aBuildOlderThanItsSourcesRunsNothingAndTheCallerBuilds() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path source = Files.createDirectories(home.resolve("cli/src/main/java")).resolve("A.java");
        Files.writeString(source, "class A {}");
        Path jar = Files.writeString(Files.createDirectories(home.resolve("cli/target")).resolve("coral.jar"), "jar");
        Files.setLastModifiedTime(source, FileTime.fromMillis(1_000_000_000_000L));
        server.checkSources(new BuildSources(home, jar));
        Process p = caller(dir);
        assertEquals(0, run(p, "init", "fresh").code(), "sources older than the jar: served");
        Files.setLastModifiedTime(source, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        // the daemon hears of the change from the JDK's watch thread, which a loaded machine may run a moment after this
        // command arrives (a fresh clone's full run once found the command served): each try a folder of its own
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int i = 0; ; i++) {
            List<String> lines = run(p, "init", "stale" + i).lines();
            if (lines.equals(List.of("fallback " + source + " is newer than the build"))) {
                assertFalse(Files.exists(dir.resolve("stale" + i)), "nothing ran");
                return;
            }
            assertTrue(System.nanoTime() < deadline, "still served 10 s after a source became newer than the jar: " + lines);
            Thread.sleep(20);
        }
    }

    @Test
    void aCommandReadsTheCallersAuthorNotTheDaemons() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("authored"));
        Map<String, String> alice = new java.util.HashMap<>();
        alice.put("CORAL_AUTHOR", "Alice Example");
        Process p = caller(repo, alice);
        assertEquals(0, run(p, "init").code());
        Cli.writeModel(repo.resolve("model.safetensors"), 7, "a", "b");
        assertEquals(0, run(p, "commit", "-m", "one", "model.safetensors").code());
        assertEquals(0, run(p, "tag", "-m", "release", "v1").code());
        Reply show = run(p, "log", "-n", "1");
        assertTrue(show.out().contains("Author:  Alice Example\n"), show.out());
        Reply tag = run(p, "show", "v1");
        assertTrue(tag.out().contains("Alice Example"), tag.out());
        alice.put("CORAL_AUTHOR", null);
        Process q = caller(repo, alice);
        Cli.writeModel(repo.resolve("model.safetensors"), 8, "a", "b");
        assertEquals(0, run(q, "commit", "-m", "two", "model.safetensors").code());
        assertTrue(run(q, "log", "-n", "1").out().contains("Author:  " + System.getProperty("user.name") + "\n"), "no CORAL_AUTHOR: the user name");
    }

    @Test
    void aCallerWhoseZoneLocaleJvmOptionsOrUmaskDifferRunsTheCommandItself() throws Exception {
        String tz = System.getenv("TZ");
        List<Map.Entry<String, String>> cases = List.of(
                Map.entry("TZ", "Asia/Tokyo".equals(tz) ? "Europe/Paris" : "Asia/Tokyo"),
                Map.entry("LC_ALL", "de_DE.ISO-8859-1"),
                Map.entry("JAVA_TOOL_OPTIONS", "-Xmx64m"),
                Map.entry("CORAL_THREADS", "7"));
        for (Map.Entry<String, String> c : cases) {
            Process p = caller(dir, Map.of(c.getKey(), c.getValue()));
            List<String> lines = run(p, "init", "never").lines();
            assertEquals(List.of("fallback the caller's " + c.getKey() + " is not the daemon's (the JVM reads it when it starts)"), lines,
                    c.toString());
            assertFalse(Files.exists(dir.resolve("never")), "nothing ran");
        }
        String own = CallerEnvironment.umask(Path.of("/proc/self"));
        assumeTrue(own != null, "this kernel's /proc/PID/status tells no umask");
        String other = own.equals("0077") ? "0022" : "0077";
        Process p = new ProcessBuilder("sh", "-c", "umask " + other + " && exec sleep 120").directory(dir.toFile()).start();
        callers.add(p);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!other.equals(CallerEnvironment.umask(Path.of("/proc/" + p.pid())))) { // until sh has set it
            assertTrue(System.nanoTime() < until, "the caller never set its umask");
            Thread.sleep(5);
        }
        assertEquals(List.of("fallback the caller's umask " + other + " is not the daemon's " + own + " (the files a command creates take it)"),
                run(p, "init", "never").lines());
        assertFalse(Files.exists(dir.resolve("never")), "nothing ran");
        Process limited = new ProcessBuilder("sh", "-c", "ulimit -f 8 && exec sleep 120").directory(dir.toFile()).start();
        callers.add(limited);
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (CallerEnvironment.limits(Path.of("/proc/" + limited.pid())).equals(CallerEnvironment.limits(Path.of("/proc/self")))) {
            assertTrue(System.nanoTime() < until, "the caller never set its file size limit");
            Thread.sleep(5);
        }
        List<String> lines = run(limited, "init", "never").lines();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("fallback the caller's resource limits are not the daemon's (Max file size "), lines.toString());
        assertFalse(Files.exists(dir.resolve("never")), "nothing ran");
    }

    @Test
    void aCallerThatNoLongerRunsIsNotServed() throws Exception {
        Process p = caller(dir);
        long pid = p.pid();
        p.destroyForcibly().waitFor();
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        List<String> reply = DaemonProtocol.call(info, DaemonProtocol.runRequest(info.token(), pid, 1, 2, false, "", List.of("init")), 30_000);
        assertTrue(reply.get(0).startsWith("fallback cannot reach"), reply.toString());
    }

    @Test
    void malformedRequestsAreRefusedAndTheDaemonGoesOn() throws Exception {
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        byte[] wrongToken = DaemonProtocol.request(List.of(DaemonProtocol.MAGIC, "0".repeat(32), "ping"));
        assertEquals(List.of("refused wrong token"), rawCall(wrongToken));
        assertTrue(rawCall(DaemonProtocol.request(List.of("http/1.1", info.token(), "ping"))).get(0).startsWith("refused not a"));
        assertEquals(List.of("refused no request dance"), rawCall(DaemonProtocol.request(List.of(DaemonProtocol.MAGIC, info.token(), "dance"))));
        byte[] cut = DaemonProtocol.request(List.of(DaemonProtocol.MAGIC, info.token(), "run", "1"));
        assertEquals(List.of("refused the request ended before its standard output's descriptor"), rawCall(cut));
        byte[] noCount = DaemonProtocol.request(List.of(DaemonProtocol.MAGIC, info.token(), "run", "1", "1", "2", "0", "", "-3"));
        assertTrue(rawCall(noCount).get(0).startsWith("refused the request's argument count is not a number"));
        byte[] huge = new byte[DaemonProtocol.MAX_FIELD + 10];
        java.util.Arrays.fill(huge, (byte) 'a');
        assertEquals(List.of("refused the request's protocol name is too long"), rawCall(huge));
        byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0};
        assertEquals(List.of("refused the request's protocol name is not UTF-8"), rawCall(notUtf8));
        assertTrue(DaemonProtocol.ping(info) > 0, "still serving");
    }

    @Test
    void concurrentCallersAreServedAtOnce() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        assertEquals(0, run(caller(repo), "init").code());
        List<CompletableFuture<Reply>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "m" + i + ".safetensors";
            Cli.writeModel(repo.resolve(name), i, "w");
            Process p = caller(repo);
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run(p, "commit", "-m", name, name);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, OwnThread.EACH));
        }
        for (CompletableFuture<Reply> r : runs) {
            assertEquals(0, r.get(120, TimeUnit.SECONDS).code());
        }
        String log = run(caller(repo), "log", "--oneline").out();
        assertEquals(4, log.lines().count(), log);
    }

    /**
     * A caller that goes away while its command runs (Ctrl-C): the daemon exits with 130, as the
     * command's own JVM would have, when that command is the only one running. Its command waits
     * for the staging lock this test holds, so it is surely still running.
     */
    @Test
    void aCallerGoneMidCommandEndsTheDaemonAsCtrlCWouldItsJvm() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        assertEquals(0, run(caller(repo), "init").code());
        Cli.writeModel(repo.resolve("model.safetensors"), 1, "w");
        Process p = caller(repo);
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        try (RepositoryLock.Held held = new RepositoryLock(repo.resolve(".coral/locks"), "index").lock()) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), info.port());
            OutputStream o = s.getOutputStream();
            o.write(DaemonProtocol.request(DaemonProtocol.runRequest(info.token(), p.pid(), 1, 2, false, "", List.of("add", "model.safetensors"))));
            o.flush();
            byte[] started = s.getInputStream().readNBytes(8);
            assertEquals("started\n", new String(started, StandardCharsets.UTF_8));
            s.close(); // the caller is gone
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (exits.isEmpty()) {
                assertTrue(System.nanoTime() < until, "the daemon did not notice: " + log);
                Thread.sleep(5);
            }
        }
        assertEquals(List.of(130), exits);
    }

    @Test
    void stopsWhenAskedWhenIdleAndWhenItsInfoIsReplaced() throws Exception {
        DaemonInfo info = DaemonInfo.read(dir.resolve("daemon"));
        assertEquals(List.of("stopping " + ProcessHandle.current().pid()),
                DaemonProtocol.call(info, List.of(DaemonProtocol.MAGIC, info.token(), "stop"), 30_000));
        assertEquals(0, serving.get(60, TimeUnit.SECONDS));
        assertNull(DaemonInfo.read(dir.resolve("daemon")), "its info is gone with it");

        server = serve(Duration.ofMillis(1500));
        assertEquals(0, serving.get(60, TimeUnit.SECONDS));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("stopped: idle"), log.toString(StandardCharsets.UTF_8));

        server = serve(Duration.ofMinutes(5));
        DaemonInfo mine = DaemonInfo.read(dir.resolve("daemon"));
        new DaemonInfo(mine.port() == 1 ? 2 : 1, DaemonInfo.newToken(), mine.pid()).write(dir.resolve("daemon"));
        assertEquals(0, serving.get(60, TimeUnit.SECONDS));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("no longer names this daemon"), log.toString(StandardCharsets.UTF_8));
        assertTrue(DaemonInfo.read(dir.resolve("daemon")) != null, "the other daemon's info is left alone");
        server = null;
    }

    /**
     * Three repositories committing at once, each through the daemon's handle of its own: every
     * version checks out bit-exact in its own repository (each handle keeps its chunks as the next
     * commit's bases; none may serve another's).
     */
    @Test
    void severalRepositoriesAtOnceKeepTheirOwnHistories() throws Exception {
        int repos = 3;
        int versions = 4;
        List<CompletableFuture<List<byte[]>>> runs = new ArrayList<>();
        for (int k = 0; k < repos; k++) {
            Path repo = Files.createDirectories(dir.resolve("repo" + k));
            assertEquals(0, run(caller(repo), "init").code());
            Process p = caller(repo);
            int seed = 100 * k;
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    List<byte[]> committed = new ArrayList<>();
                    for (int v = 0; v < versions; v++) {
                        Path model = repo.resolve("model.safetensors");
                        Cli.writeModel(model, seed + v, "a", "b");
                        committed.add(Files.readAllBytes(model));
                        assertEquals(0, run(p, "commit", "-m", "v" + v, "model.safetensors").code());
                    }
                    return committed;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, OwnThread.EACH));
        }
        for (int k = 0; k < repos; k++) {
            List<byte[]> committed = runs.get(k).get(120, TimeUnit.SECONDS);
            Path repo = dir.resolve("repo" + k);
            for (int v = 0; v < versions; v++) {
                assertEquals(0, run(caller(repo), "checkout", "--force", "main~" + (versions - 1 - v)).code());
                assertTrue(java.util.Arrays.equals(committed.get(v), Files.readAllBytes(repo.resolve("model.safetensors"))),
                        "repo" + k + " version " + v);
                assertEquals(0, run(caller(repo), "checkout", "--force", "main").code());
            }
        }
        assertTrue(server.status().contains(" " + (repos * (versions + 1) + 2 * repos * versions) + " commands run"), server.status());
    }

    /** Restarts the test's daemon with its warm-up; waits until the warm-up has ended; what status says of it. */
    private String warmUpEnded(boolean commandFirst) throws Exception {
        server.stop("restarting with a warm-up");
        serving.get(60, TimeUnit.SECONDS);
        server = serve(Duration.ofMinutes(5), true);
        if (commandFirst) {
            Path repo = Files.createDirectories(dir.resolve("repo"));
            assertEquals(0, run(caller(repo), "init", ".").code());
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (server.status().endsWith("warm-up running")) {
            assertTrue(System.nanoTime() < until, "the warm-up did not end: " + log);
            Thread.sleep(20);
        }
        try (var left = Files.newDirectoryStream(dir.resolve("daemon"), "warm-up-*")) {
            assertFalse(left.iterator().hasNext(), "its scratch repository is removed");
        }
        String status = server.status();
        return status.substring(status.indexOf("warm-up "));
    }

    @Test
    void warmsUpOnAScratchHistoryOfItsOwnAndRemovesIt() throws Exception {
        Path dead = Files.createDirectories(dir.resolve("daemon/warm-up-4999999/repo")); // past Linux's largest pid
        Files.writeString(dead.resolve("model.safetensors"), "left by a daemon killed in its warm-up");
        String warmUp = warmUpEnded(false);
        assertTrue(warmUp.startsWith("warm-up done in "), warmUp + "; log: " + log);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("warm-up done in "), log.toString(StandardCharsets.UTF_8));
        assertTrue(server.status().contains(" 0 commands run"), "the warm-up's commands are not the callers': " + server.status());
    }

    @Test
    void theFirstCallersCommandCutsTheWarmUpShort() throws Exception {
        String warmUp = warmUpEnded(true);
        assertTrue(warmUp.startsWith("warm-up cut short by a command after "), warmUp + "; log: " + log);
        assertTrue(Files.isDirectory(dir.resolve("repo/.coral")), "the caller's command ran");
    }
}
