package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./coral} launcher on the jar this build packaged (failsafe, after {@code package}):
 * exit codes and output pass through; the first real command after a build leaves a static
 * class-data-sharing archive, and later commands load picocli's classes from it (JDK 17's
 * dynamic archives could not hold them).
 */
class LauncherIT {
    private static final Path ROOT = Path.of(System.getProperty("coral.root", "..")).toAbsolutePath().normalize();
    private static final Path TARGET = ROOT.resolve("cli/target");
    private static final Path ARCHIVE = TARGET.resolve("coral.jsa");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    /**
     * The launcher's environment: {@code env}, and no daemon unless {@code env} names a daemon
     * folder of the test's own (one the developer runs for this build would otherwise serve the
     * commands whose launcher behaviour these tests check, when the jar was not rebuilt).
     */
    private static void environment(ProcessBuilder pb, Map<String, String> env) {
        if (!env.containsKey("CORAL_DAEMON_DIR")) {
            pb.environment().put("CORAL_DAEMON", "0");
        }
        pb.environment().putAll(env);
    }

    private static Run coral(Path cwd, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("coral").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        environment(pb, env);
        Path out = Files.createTempFile("launcher-out", ".txt");
        Path err = Files.createTempFile("launcher-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("coral " + String.join(" ", args) + " did not end in 300 s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static Run coral(Path cwd, String... args) throws IOException, InterruptedException {
        return coral(cwd, Map.of(), args);
    }

    private static List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(TARGET)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("coral.jsa.")).toList();
        }
    }

    @Test
    void theJarIsThereAndCurrent() throws Exception {
        assertTrue(Files.isRegularFile(TARGET.resolve("coral.jar")), "run after package: " + TARGET.resolve("coral.jar"));
        Run r = coral(dir, "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("coral "), r.out());
        assertFalse(r.err().contains("building"), "the launcher rebuilt a jar this build had just packaged: " + r.err());
    }

    /**
     * The launcher runs {@code $JAVA_HOME/bin/java} when JAVA_HOME is set (as mvn, which builds the
     * jar, does), the PATH's java otherwise; a JAVA_HOME without a java, or of a Java before 17 by
     * its release file, fails in one line naming it. Until 2026-12-07 it ran the PATH's java whatever
     * JAVA_HOME said.
     */
    @Test
    void theJavaOfJavaHomeRunsTheCommands() throws Exception {
        Path realJava = Path.of(System.getProperty("java.home"), "bin", "java");
        Path home = dir.resolve("jdk");
        Files.createDirectories(home.resolve("bin"));
        Path called = dir.resolve("called");
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\" >> '" + called + "'\nexec '" + realJava + "' \"$@\"\n");
        assertTrue(java.toFile().setExecutable(true));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + Runtime.version().feature() + ".0.1\"\n");
        Run r = coral(dir, Map.of("JAVA_HOME", home.toString()), "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("coral "), r.out());
        assertTrue(Files.readString(called).contains("--version"), "JAVA_HOME's java was not the one run");

        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"11.0.2\"\n");
        Run old = coral(dir, Map.of("JAVA_HOME", home.toString()), "--version");
        assertEquals(1, old.code(), old.err());
        assertEquals("coral: JAVA_HOME (" + home + ") is Java 11.0.2; Coral needs Java 17 or later: set JAVA_HOME to one, "
                + "or unset it to use the java on the PATH", old.err().strip());
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"1.8.0_392\"");
        assertEquals(1, coral(dir, Map.of("JAVA_HOME", home.toString()), "--version").code());

        Files.delete(java);
        Run none = coral(dir, Map.of("JAVA_HOME", home.toString()), "status");
        assertEquals(1, none.code(), none.err());
        assertEquals(1, none.err().strip().lines().count(), none.err());
        assertTrue(none.err().startsWith("coral: JAVA_HOME (" + home + ") has no bin/java"), none.err());
    }

    @Test
    void exitCodesAndErrorsPassThrough() throws Exception {
        Run usage = coral(dir, "no-such-command");
        assertEquals(2, usage.code(), usage.err());
        Run notARepo = coral(dir, "status");
        assertEquals(1, notARepo.code(), notARepo.err());
        assertTrue(notARepo.err().contains("not a Coral repository"), notARepo.err());
        assertEquals(1, notARepo.err().strip().lines().count(), "one line: " + notARepo.err());
        // -C as the last argument: the launcher's own look for the command name (set -e) ended it with exit 1 and no word
        Run noFolder = coral(dir, "-C");
        assertEquals(2, noFolder.code(), noFolder.err());
        assertTrue(noFolder.err().startsWith("coral: Missing required parameter for option '-C'"), noFolder.err());
        Run atFolder = coral(dir.getParent(), "-C", dir.getFileName().toString(), "status");
        assertTrue(atFolder.err().contains("not a Coral repository"), "ran in the folder -C names: " + atFolder.err());
    }

    @Test
    void theFirstRealCommandLeavesAStaticArchiveThatLaterCommandsMap() throws Exception {
        Files.deleteIfExists(ARCHIVE);
        assertEquals(0, coral(dir, "init").code());
        assertFalse(Files.exists(ARCHIVE), "init is not one of the commands that make the archive");
        Run first = coral(dir, "status");
        assertEquals(0, first.code(), first.err());
        assertTrue(Files.isRegularFile(ARCHIVE), "status made no archive");
        assertEquals(List.of(), leftovers(), "class list or temporary archive left behind");
        Path log = dir.resolve("class-load.log");
        Run second = coral(dir, Map.of("CORAL_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "status");
        assertEquals(0, second.code(), second.err());
        assertEquals(first.out(), second.out());
        String loads = Files.readString(log);
        assertTrue(loads.contains("picocli.CommandLine source: shared objects file"),
                "picocli's classes are not in the archive: " + loads.lines().filter(l -> l.contains("picocli.CommandLine ")).toList());
        // status came first, but the launcher also listed the demo's classes: an add maps them too
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), dir.resolve("w.safetensors"));
        Path addLog = dir.resolve("add-class-load.log");
        Run add = coral(dir, Map.of("CORAL_JAVA_OPTS", "-Xlog:class+load=info:file=" + addLog), "add", "w.safetensors");
        assertEquals(0, add.code(), add.err());
        List<String> fromJar = Files.readString(addLog).lines()
                .filter(l -> l.contains(" dev.coral.") && !l.contains("source: shared objects file")).toList();
        assertTrue(Files.readString(addLog).contains("dev.coral.format.SafetensorsHeader source: shared objects file"), fromJar.toString());
        assertTrue(fromJar.size() < 20, fromJar.size() + " of Coral's classes loaded from the jar, not the archive: " + fromJar);
        // a record's equals or hashCode bootstraps method handles at its first call (20-40 ms of a command's CPU)
        for (Path l : List.of(log, addLog)) {
            assertFalse(Files.readString(l).contains("java.lang.runtime.ObjectMethods "),
                    l.getFileName() + ": a record's equals/hashCode/toString was called on the command's path; write it out");
        }
    }

    /**
     * An archive this JVM cannot map (another JDK's, or this one's before an update: here bytes no
     * JDK maps, newer than the jar) is dropped by the first command that finds it unmapped and made
     * again by the next, which a later command maps; not while the user's JVM options could be
     * what keeps it from mapping (CORAL_JAVA_OPTS), or every command would drop it.
     */
    @Test
    void anArchiveTheJvmCannotMapIsMadeAgain() throws Exception {
        assertEquals(0, coral(dir, "init").code());
        assertEquals(0, coral(dir, "status").code());
        assertTrue(Files.isRegularFile(ARCHIVE), "status made no archive");
        byte[] foreign = new byte[64 * 1024];
        new java.util.Random(7).nextBytes(foreign);
        Files.delete(ARCHIVE); // made read-only
        Files.write(ARCHIVE, foreign);
        Run withOptions = coral(dir, Map.of("CORAL_JAVA_OPTS", "-Xmx512m"), "status");
        assertEquals(0, withOptions.code(), withOptions.err());
        assertTrue(Files.isRegularFile(ARCHIVE), "dropped though the user's JVM options may be why it did not map");
        Run unmapped = coral(dir, "status");
        assertEquals(0, unmapped.code(), unmapped.err());
        assertEquals(withOptions.out(), unmapped.out());
        assertFalse(Files.exists(ARCHIVE), "an archive the JVM could not map was kept");
        assertEquals(0, coral(dir, "status").code());
        assertTrue(Files.isRegularFile(ARCHIVE), "not made again");
        Path log = dir.resolve("class-load.log");
        assertEquals(0, coral(dir, Map.of("CORAL_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "status").code());
        assertTrue(Files.readString(log).contains("picocli.CommandLine source: shared objects file"), "the new archive is not mapped");
    }

    /**
     * A user who may not write {@code cli/target} (an install its owner shares) runs commands
     * though the archive there is older than the jar: the launcher's {@code rm} of it failed and
     * ended the launcher (set -e) before the command ran, after every rebuild (found running
     * commands as a user other than root). Root, which runs the suite here, may remove anything,
     * so an {@code rm} that fails as the user's would stands first on the PATH.
     */
    @Test
    void aStaleArchiveTheUserCannotRemoveIsLeftUnused() throws Exception {
        assertEquals(0, coral(dir, "init").code());
        assertEquals(0, coral(dir, "status").code());
        assertTrue(Files.isRegularFile(ARCHIVE), "status made no archive");
        java.nio.file.attribute.FileTime jarTime = Files.getLastModifiedTime(TARGET.resolve("coral.jar"));
        Files.setLastModifiedTime(ARCHIVE, java.nio.file.attribute.FileTime.fromMillis(jarTime.toMillis() - 60_000));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path rm = bin.resolve("rm");
        // refuses the archive alone, as cli/target would; the class lists this run makes it removes
        Files.writeString(rm, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = '" + ARCHIVE + "' ] && { echo \"rm: cannot remove '$a': Permission denied\" >&2; exit 1; }; done\n"
                + "exec /bin/rm \"$@\"\n");
        assertTrue(rm.toFile().setExecutable(true));
        Run denied = coral(dir, Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")), "status");
        assertEquals(0, denied.code(), denied.err());
        assertTrue(denied.out().startsWith("On branch main"), denied.out());
        assertFalse(denied.err().contains("rm:"), denied.err());
        assertEquals(List.of(), leftovers(), "class list or temporary archive left behind");
        assertEquals(0, coral(dir, "status").code()); // an rm that works: dropped and made again
        assertTrue(Files.isRegularFile(ARCHIVE) && Files.getLastModifiedTime(ARCHIVE).compareTo(jarTime) >= 0, "not made again");
    }

    /** A command that reads or writes objects loads zstd-jni's library from the copy beside the jar, not a new temporary one. */
    @Test
    void zstdsNativeLibraryIsLoadedFromTheCopyBesideTheJar() throws Exception {
        String resource = ZstdNativeLibrary.resourceName();
        if (resource == null) {
            System.err.println("LauncherIT: no kept copy of zstd-jni's library on " + System.getProperty("os.name") + "; not checked");
            return;
        }
        Path lib = TARGET.resolve("native").resolve(resource.substring(resource.lastIndexOf('/') + 1));
        assertEquals(0, coral(dir, "init").code());
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), dir.resolve("w.safetensors"));
        Run add = coral(dir, "add", "w.safetensors");
        assertEquals(0, add.code(), add.err());
        assertTrue(Files.isRegularFile(lib), "no copy at " + lib);
        Path log = dir.resolve("library.log");
        Run commit = coral(dir, Map.of("CORAL_JAVA_OPTS", "-Xlog:library=info:file=" + log), "commit", "-m", "first");
        assertEquals(0, commit.code(), commit.err());
        String loads = Files.readString(log);
        assertTrue(loads.contains("Loaded library " + lib), loads.lines().filter(l -> l.contains("zstd")).toList().toString());
    }

    /**
     * The jar grants zstd-jni native access (its manifest's {@code Enable-Native-Access}), so a
     * command on JDK 22 or later prints no warning for it: on Temurin 25 every command wrote four
     * WARNING lines to standard error. Their absence is checked on whatever JDK runs the suite (JDK
     * 17 printed none either way), the manifest entry on every JDK.
     */
    @Test
    void commandsRunWithoutTheJdksNativeAccessWarning() throws Exception {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(TARGET.resolve("coral.jar").toFile())) {
            assertEquals("ALL-UNNAMED", jar.getManifest().getMainAttributes().getValue("Enable-Native-Access"));
        }
        System.err.println("LauncherIT: commands checked for native-access warnings on Java " + Runtime.version().feature());
        assertEquals(0, coral(dir, "init").code());
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), dir.resolve("w.safetensors"));
        for (String[] args : List.of(new String[] {"add", "w.safetensors"}, new String[] {"commit", "-m", "first"},
                new String[] {"checkout", "--force", "HEAD"}, new String[] {"status"})) {
            Run r = coral(dir, args);
            assertEquals(0, r.code(), r.err());
            assertFalse(r.err().contains("WARNING"), String.join(" ", args) + ": " + r.err());
        }
    }

    /**
     * Where the kernel gives transparent huge pages on request, the commands that decode chunk
     * after chunk ask for them for the heap and the others do not; where it gives none, no
     * command asks (the JVM would warn at every start).
     */
    @Test
    void decodingCommandsAskForTransparentHugePagesWhereTheKernelHasThem() throws Exception {
        Path modes = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        String mode = Files.isReadable(modes) ? Files.readString(modes) : "";
        boolean offered = mode.contains("[always]") || mode.contains("[madvise]");
        System.err.println("LauncherIT: transparent huge pages " + (offered ? "offered" : "not offered") + " here (" + mode.strip() + ")");
        assertEquals(0, coral(dir, "init").code());
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), dir.resolve("w.safetensors"));
        assertEquals(0, coral(dir, "commit", "-m", "first", "w.safetensors").code());
        Map<String, String> flags = Map.of("CORAL_JAVA_OPTS", "-XX:+PrintFlagsFinal");
        Run checkout = coral(dir, flags, "checkout", "--force", "HEAD");
        assertEquals(0, checkout.code(), checkout.err());
        assertEquals(offered, "true".equals(flag(checkout.err(), "UseTransparentHugePages")), "checkout");
        Run export = coral(dir, flags, "export", "-o", dir.resolve("out.safetensors").toString(), "HEAD:w.safetensors");
        assertEquals(0, export.code(), export.err());
        assertEquals(offered, "true".equals(flag(export.err(), "UseTransparentHugePages")), "export");
        Run restore = coral(dir, flags, "restore", "--source", "HEAD", "w.safetensors");
        assertEquals(0, restore.code(), restore.err());
        assertEquals(offered, "true".equals(flag(restore.err(), "UseTransparentHugePages")), "restore");
        assertEquals("1", flag(restore.err(), "TieredStopAtLevel"), "restore: C1 alone, as checkout");
        Run status = coral(dir, flags, "status");
        assertEquals(0, status.code(), status.err());
        assertFalse("true".equals(flag(status.err(), "UseTransparentHugePages")), "status");
    }

    /**
     * Commands that read a few small objects run with C1 alone; status, which may hash a whole
     * file (C1 has no SHA instructions), and commit keep C2.
     */
    @Test
    void commandsThatReadSmallObjectsRunWithTheFirstTierAlone() throws Exception {
        assertEquals(0, coral(dir, "init").code());
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), dir.resolve("w.safetensors"));
        Map<String, String> flags = Map.of("CORAL_JAVA_OPTS", "-XX:+PrintFlagsFinal");
        Run commit = coral(dir, flags, "commit", "-m", "first", "w.safetensors");
        assertEquals(0, commit.code(), commit.err());
        assertEquals("4", flag(commit.err(), "TieredStopAtLevel"), "commit");
        for (String command : List.of("log", "stats", "branch", "gc")) {
            Run r = coral(dir, flags, command);
            assertEquals(0, r.code(), command + ": " + r.err());
            assertEquals("1", flag(r.err(), "TieredStopAtLevel"), command);
        }
        Run status = coral(dir, flags, "status");
        assertEquals(0, status.code(), status.err());
        assertEquals("4", flag(status.err(), "TieredStopAtLevel"), "status");
    }

    /** The value of {@code name} in -XX:+PrintFlagsFinal's table in {@code out}. */
    private static String flag(String out, String name) {
        List<String> line = out.lines().filter(l -> l.contains(" " + name + " ")).toList();
        assertEquals(1, line.size(), "one " + name + " line in the flags printed: " + line);
        return line.get(0).replaceAll(".*=\\s*(\\S+).*", "$1");
    }

    @Test
    void relativePathsAreTheCallersFolder() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("some/repo"));
        assertEquals(0, coral(repo, "init").code());
        Run r = coral(dir, "-C", "some/repo", "status");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("On branch main"), r.out());
    }

    /**
     * {@code export -o -} through the launcher into a file and into a pipe closed early: the
     * bytes are the committed file's; a reader that leaves ends coral with exit code 1, not a hang.
     */
    @Test
    void exportToStandardOutputPassesThroughTheLauncher() throws Exception {
        assertEquals(0, coral(dir, "init").code());
        Path model = dir.resolve("model.safetensors");
        java.util.SplittableRandom r = new java.util.SplittableRandom(3); // 4 MB: far more than a pipe holds
        Cli.write(model, "safetensors", List.of(Cli.f32("a", r, 1024, 512), Cli.f32("b", r, 1024, 512)));
        assertEquals(0, coral(dir, "commit", "-m", "one", "model.safetensors").code());
        Path out = dir.resolve("streamed.bin");
        ProcessBuilder toFile = new ProcessBuilder("bash", ROOT.resolve("coral").toString(), "export", "HEAD:model.safetensors", "-o", "-");
        environment(toFile, Map.of());
        Process p = toFile.directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertEquals(-1, Files.mismatch(model, out), "the streamed bytes are the committed file");
        ProcessBuilder toPipe = new ProcessBuilder("bash", "-c", "set -o pipefail; bash '" + ROOT.resolve("coral") + "' export HEAD:model.safetensors -o - | head -c 10 >/dev/null");
        environment(toPipe, Map.of());
        Process pipe = toPipe.directory(dir.toFile()).redirectErrorStream(true).start();
        String said = new String(pipe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pipe.waitFor(300, TimeUnit.SECONDS));
        assertEquals(1, pipe.exitValue(), said);
        assertTrue(said.contains("standard output"), said);
    }

    /**
     * A training loop in Python (numpy writes each step's weights) drives one {@code coral batch}
     * process through the launcher: a commit per step, then each step exported back and read by
     * numpy, bit for bit. python3 with numpy is required (.ci/run installs it).
     */
    @Test
    void aPythonTrainingLoopDrivesOneBatchProcess() throws Exception {
        assertEquals(0, coral(dir, "init").code());
        String script = String.join("\n",
                "import json, subprocess, sys, numpy as np",
                "coral, here = sys.argv[1], sys.argv[2]",
                "p = subprocess.Popen(['bash', coral, 'batch'], cwd=here, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)",
                "def run(*args):",
                "    p.stdin.write(json.dumps(list(args)) + '\\n'); p.stdin.flush()",
                "    r = json.loads(p.stdout.readline())",
                "    assert r['code'] == 0, r",
                "    return r",
                "rng = np.random.default_rng(7)",
                "w = rng.standard_normal((64, 32)).astype(np.float32)",
                "steps = []",
                "for i in range(5):",
                "    w = w - np.float32(1e-3) * rng.standard_normal(w.shape).astype(np.float32)",
                "    np.save(here + '/w.npy', w)",
                "    steps.append(w.copy())",
                "    run('commit', '-m', 'step %d' % i, '--metric', 'step=%d' % i, 'w.npy')",
                "for i in range(5):",
                "    run('export', 'HEAD~%d:w.npy' % (4 - i), '-o', 'out.npy')",
                "    got = np.load(here + '/out.npy')",
                "    assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32), steps[i].view(np.uint32)), i",
                "log = run('log', '--oneline')['out']",
                "assert log.count('step') >= 5, log",
                "p.stdin.close()",
                "assert p.wait() == 0",
                "print('ok')");
        Process py;
        try {
            py = new ProcessBuilder("python3", "-c", script, ROOT.resolve("coral").toString(), dir.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("python3 is needed for this test (.ci/run installs python3-numpy): " + e.getMessage(), e);
        }
        String said = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, py.exitValue(), said);
        assertEquals("ok", said.strip());
    }

    /** {@code ./coral args} with standard output and error pipes (a daemon serves only callers whose output is no file). */
    private static Run piped(Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("coral").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        environment(pb, env);
        Process p = pb.start();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, OwnThread.EACH);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("coral " + String.join(" ", args) + " did not end in 300 s");
        }
        return new Run(p.exitValue(), out, new String(err.get(), StandardCharsets.UTF_8));
    }

    /**
     * A daemon killed while the launcher waits for its reply resets the connection: before it
     * said "started", the launcher runs the command itself; after, it says in one line that the
     * daemon ended. Either way the user sees no "read error: 0: Connection reset by peer" from
     * bash (found by perf/tools/concurrent-fuzz.py --daemon on 2026-12-07: a refused commit carried
     * it as a second line). The daemon here is a socket of the test's that reads the request and
     * resets the connection, before or after "started".
     */
    @Test
    void aDaemonKilledBeforeItRepliesLeavesNoShellErrorBehind() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "the launcher reaches the daemon through /proc and /dev/tcp: Linux only");
        for (boolean startedFirst : new boolean[] {false, true}) {
            Path daemonDir = Files.createDirectories(dir.resolve("daemon-" + startedFirst));
            try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                Files.writeString(daemonDir.resolve("info"), server.getLocalPort() + " token " + ProcessHandle.current().pid() + "\n");
                Thread resetter = new Thread(() -> {
                    try (java.net.Socket s = server.accept()) {
                        s.getInputStream().read(new byte[8192]); // the request
                        if (startedFirst) {
                            s.getOutputStream().write("started\n".getBytes(StandardCharsets.US_ASCII));
                            s.getOutputStream().flush();
                            Thread.sleep(100);
                        }
                        s.setSoLinger(true, 0); // closed with a reset, as a killed process's socket is
                    } catch (IOException | InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                resetter.start();
                Run r = piped(dir, Map.of("CORAL_DAEMON_DIR", daemonDir.toString()), "status");
                resetter.join(10_000);
                assertFalse(r.err().contains("read error") || r.err().contains("Connection reset"), r.err());
                if (startedFirst) {
                    assertEquals(1, r.code(), r.err());
                    assertEquals("coral: the daemon (pid " + ProcessHandle.current().pid() + ") ended while it ran the command; see "
                            + daemonDir.resolve("log") + "\n", r.err());
                } else {
                    Run plain = piped(dir, Map.of("CORAL_DAEMON", "0"), "status");
                    assertEquals(plain, r, "run by the launcher itself");
                }
            }
        }
    }

    /**
     * With {@code coral daemon} running, the launcher hands commands to it: the same output and
     * exit codes as commands run in JVMs of their own (CORAL_DAEMON=0), in the caller's folder;
     * output to a file runs the command itself; CORAL_DAEMON=1 starts a daemon when none runs.
     */
    @Test
    void aRunningDaemonRunsTheCommandsWithTheSameOutputAndExitCodes() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "the daemon reaches its callers through /proc: Linux only");
        Path daemonDir = dir.resolve("daemon");
        Map<String, String> withDaemon = Map.of("CORAL_DAEMON_DIR", daemonDir.toString());
        Map<String, String> without = Map.of("CORAL_DAEMON_DIR", daemonDir.toString(), "CORAL_DAEMON", "0");
        Path a = Files.createDirectories(dir.resolve("a/sub"));
        Path b = Files.createDirectories(dir.resolve("b/sub"));
        Run started = piped(dir, withDaemon, "daemon", "start", "--idle", "5");
        try {
            assertEquals(0, started.code(), started.err());
            assertTrue(started.out().startsWith("coral daemon started (pid "), started.out());
            assertEquals(0, piped(dir, withDaemon, "daemon", "status").code());
            for (Path repo : List.of(a, b)) {
                Map<String, String> env = repo == a ? without : withDaemon;
                assertEquals(0, piped(repo.getParent(), env, "init").code());
                Cli.writeModel(repo.resolve("model.safetensors"), 5, "w", "v");
                Run commit = piped(repo, env, "commit", "-m", "one", "model.safetensors");
                assertEquals(0, commit.code(), commit.err());
                Cli.writeModel(repo.resolve("model.safetensors"), 6, "w", "v");
            }
            for (String[] args : List.of(new String[] {"status"}, new String[] {"diff"}, new String[] {"nosuch"},
                    new String[] {"checkout", "nowhere"}, new String[] {"branch"}, new String[] {"-C", "..", "status"})) {
                Run plain = piped(a, without, args);
                Run served = piped(b, withDaemon, args);
                assertEquals(plain, served, String.join(" ", args));
            }
            String log = Files.readString(daemonDir.resolve("log"));
            assertFalse(log.contains(" itself: "), log);
            assertFalse(log.contains("WARNING"), "the daemon's JVM has native access as the jar's has: " + log);
            assertEquals(2 + 6, log.lines().filter(l -> l.contains(" coral ") && l.contains(": exit ")).count(), log);
            assertTrue(log.contains("coral nosuch: exit 2"), log);

            Run toFile = coral(b, withDaemon, "status");
            assertEquals(piped(b, withDaemon, "status"), toFile, "output to a file: the launcher runs it");
            assertEquals(2 + 7, Files.readString(daemonDir.resolve("log")).lines().filter(l -> l.contains(": exit ")).count());
        } finally {
            Run stopped = piped(dir, withDaemon, "daemon", "stop");
            assertEquals(0, stopped.code(), stopped.err());
        }
        assertEquals(1, piped(dir, withDaemon, "daemon", "status").code(), "stopped");
        Map<String, String> auto = Map.of("CORAL_DAEMON_DIR", daemonDir.toString(), "CORAL_DAEMON", "1");
        try {
            Run status = piped(b, auto, "status");
            assertEquals(0, status.code(), status.err());
            assertEquals(0, piped(dir, withDaemon, "daemon", "status").code(), "CORAL_DAEMON=1 started one");
        } finally {
            piped(dir, withDaemon, "daemon", "stop");
        }
    }

    /**
     * Ctrl-C on a command the daemon runs: the launcher ends at once (its connection closes), and
     * the daemon, with no other command running, exits as the command's own JVM would have. The
     * command waits for the staging lock this test holds (another process, to the daemon), so it is
     * surely still running when the signal comes.
     */
    @Test
    void ctrlCOnACommandInTheDaemonEndsItAsItsOwnJvm() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "the daemon reaches its callers through /proc: Linux only");
        if (sigintIgnored()) { // a shell without job control starts its background commands so, and a process cannot undo it
            String msg = "SKIPPED Ctrl-C test: SIGINT is ignored in this JVM (started in the background of a shell without job "
                    + "control, e.g. 'nohup mvn ... &'), and the launcher it starts would ignore it too; run the build in the foreground";
            System.err.println("**********************************************************");
            System.err.println(msg);
            System.err.println("**********************************************************");
            Assumptions.abort(msg);
        }
        Path daemonDir = dir.resolve("daemon");
        Map<String, String> env = Map.of("CORAL_DAEMON_DIR", daemonDir.toString());
        Path repo = Files.createDirectories(dir.resolve("repo"));
        assertEquals(0, piped(dir, env, "daemon", "start", "--idle", "5").code());
        try {
            assertEquals(0, piped(repo, env, "init").code());
            Cli.writeModel(repo.resolve("model.safetensors"), 5, "w");
            try (dev.coral.io.RepositoryLock.Held held = new dev.coral.io.RepositoryLock(repo.resolve(".coral/locks"), "index").lock()) {
                ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("coral").toString(), "add", "model.safetensors")
                        .directory(repo.toFile());
                pb.environment().putAll(env);
                Process add = pb.start();
                Path log = daemonDir.resolve("log");
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                StringBuilder said = new StringBuilder();
                while (!said.toString().contains("waiting for")) { // the daemon's command says it waits for the lock
                    byte[] b = add.getErrorStream().readNBytes(Math.max(1, add.getErrorStream().available()));
                    assertTrue(b.length > 0 && System.nanoTime() < until, "no wait notice: " + said + "; daemon log: " + Files.readString(log));
                    said.append(new String(b, StandardCharsets.UTF_8));
                }
                new ProcessBuilder("kill", "-INT", Long.toString(add.pid())).start().waitFor();
                assertTrue(add.waitFor(60, TimeUnit.SECONDS), "the launcher ended");
                assertEquals(130, add.exitValue(), "bash killed by SIGINT");
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (piped(dir, env, "daemon", "status").code() == 0) {
                    assertTrue(System.nanoTime() < until, "the daemon still runs: " + Files.readString(log));
                }
                assertTrue(Files.readString(log).contains("went away while coral add ran in it; exiting"), Files.readString(log));
            }
            Run status = piped(repo, env, "status");
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("model.safetensors"), "nothing was staged: " + status.out());
            assertFalse(status.out().contains("Changes to be committed"), status.out());
        } finally {
            piped(dir, env, "daemon", "stop");
        }
    }

    /** Whether this process ignores SIGINT (Linux: bit 2 of SigIgn in /proc/self/status), which the processes it starts inherit. */
    private static boolean sigintIgnored() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 2) != 0;
            }
        }
        return false;
    }
}
