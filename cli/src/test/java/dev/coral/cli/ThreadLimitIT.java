package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands run through {@code ./coral} by a user who may run few processes and threads
 * ({@code ulimit -u}, as a container's pids limit does). Found by hand on 2026-12-07: at 24 an
 * add failed as an "internal error" (the thread that starts a pack's fsync early could not
 * start), at 22 every command failed with a stack trace (the start-up thread), and an export to
 * standard output that succeeded carried the JVM's "[warning][os,thread] Failed to start ..."
 * lines inside the exported bytes. Now work a thread only speeds up is done in the caller or not
 * at all, work a command needs fails it in one line, and the JVM's messages go to standard error.
 * Limits apply to users other than root, so when the suite runs as root the commands run as a user
 * id of their own, {@value #UID}, through util-linux's {@code setpriv} (the test fails, saying so,
 * where it is missing): the limit counts every process and thread of the user, and a fuzzer running
 * as {@code nobody} beside the suite left the first command no thread at all.
 */
class ThreadLimitIT {
    private static final Path ROOT = Path.of(System.getProperty("coral.root", "..")).toAbsolutePath().normalize();
    /** A user id no account has, so no other process's threads count against the limit. */
    static final int UID = 64123;
    private static final int ELEMENTS = 2_000_000; // 8 MB: several chunks, so the pipelines' threads are asked for

    @TempDir
    Path dir;

    private record Run(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** {@code ./coral ARGS} in {@code cwd}, as a user who may run {@code processes} processes and threads (0: no limit set). */
    private static Run coral(Path cwd, int processes, String... args) throws IOException, InterruptedException {
        return fed(cwd, processes, false, null, args);
    }

    /**
     * As above, with {@code input} (null: none) on its standard input; {@code lean}: with fewer
     * threads of the JVM's own (one collector thread, no C2 compiler), so that more of Coral's meet the limit.
     */
    private static Run fed(Path cwd, int processes, boolean lean, String input, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(OtherUserIT.asUser(UID, "ThreadLimitIT"));
        // bash then execs java: no other process of the user's runs beside it (a pipe's would count)
        cmd.addAll(List.of("bash", "-c", (processes > 0 ? "ulimit -u " + processes + " && " : "") + "exec bash \"$0\" \"$@\"",
                ROOT.resolve("coral").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("CORAL_DAEMON", "0");
        pb.environment().remove("CORAL_JAVA_OPTS");
        if (lean) {
            pb.environment().put("CORAL_JAVA_OPTS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        }
        Path out = Files.createTempFile("thread-limit-out", ".bin");
        Path err = Files.createTempFile("thread-limit-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (input != null) {
                p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("coral " + String.join(" ", args) + " did not end in 120 s");
            }
            return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** An npy file of {@code ELEMENTS} float32 values, as numpy writes one (format 1.0). */
    private static byte[] npy(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            w[i] = (float) r.nextDouble(-0.1, 0.1);
        }
        return NpyFiles.fp32(w);
    }

    /**
     * The fewest processes and threads under which {@code coral --version} runs, found by halving:
     * what the JVM itself needs depends on the machine's cores (its collector's and compilers'
     * threads), so the limits tested start a little above it, wherever it is.
     */
    private static int fewestToStart(Path cwd, boolean lean) throws IOException, InterruptedException {
        int fails = 4;
        int runs = 1024;
        Run most = fed(cwd, runs, lean, null, "--version");
        assertEquals(0, most.code(), "coral --version under ulimit -u " + runs + ": " + most.err());
        while (runs - fails > 1) {
            int mid = (fails + runs) / 2;
            if (fed(cwd, mid, lean, null, "--version").code() == 0) {
                runs = mid;
            } else {
                fails = mid;
            }
        }
        return runs;
    }

    /** The JVM could not start at all, or not start its own threads: nothing of Coral's ran. */
    private static boolean jvmDidNotStart(Run r) {
        return r.code() != 0 && !r.err().contains("coral: ");
    }

    /** A working folder every user may write, holding a new repository. */
    private Path sharedRepository() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path w = Files.createDirectories(dir.resolve("w"));
        Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run init = coral(w, 0, "init", "-q");
        assertEquals(0, init.code(), init.err());
        return w;
    }

    /**
     * One process that reads again and again (a kept handle: {@code coral batch}, as a daemon or a
     * training loop keeps one) under the limit: disk-full-fuzz --limits --batch found its reads
     * failing as "internal error: NoClassDefFoundError: Could not initialize class
     * ChunkedTensorInputStream", every one after the first, once that class's cleaner thread had
     * not started as it initialised.
     */
    @Test
    void aKeptHandleGoesOnReadingUnderTheLimit() throws Exception {
        Path w = sharedRepository();
        Path file = w.resolve("w.npy");
        List<byte[]> committed = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            committed.add(npy(1000 + k));
            Files.write(file, committed.get(k));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            Run c = coral(w, 0, "commit", "-q", "-m", "v" + k, "w.npy");
            assertEquals(0, c.code(), c.err());
        }
        Path out = Files.createDirectories(w.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        StringBuilder input = new StringBuilder();
        for (int round = 0; round < 4; round++) {
            for (int back = 0; back < 3; back++) {
                // to safetensors: the tensor read through a stream (ChunkedTensorInputStream), not the file's bytes restored
                input.append("[\"export\", \"HEAD~").append(back).append(":w.npy\", \"-o\", \"out/e").append(round).append(back)
                        .append(".safetensors\"]\n");
            }
            input.append("[\"checkout\", \"-q\", \"--force\", \"HEAD~").append(round % 3).append("\"]\n");
            input.append("[\"checkout\", \"-q\", \"--force\", \"main\"]\n");
        }
        int ran = 0;
        int refused = 0;
        int fewest = fewestToStart(w, true);
        for (int processes = fewest + 8; processes >= fewest - 2; processes--) {
            Run batch = fed(w, processes, true, input.toString(), "batch");
            if (jvmDidNotStart(batch) && batch.text().isEmpty()) {
                break;
            }
            ran++;
            String at = "ulimit -u " + processes + ": ";
            List<String> replies = batch.text().lines().toList();
            assertEquals(20, replies.size(), at + batch.text() + batch.err());
            for (int i = 0; i < replies.size(); i++) {
                String reply = replies.get(i);
                assertFalse(reply.contains("internal error"), at + "reply " + i + ": " + reply);
                if (!reply.startsWith("{\"code\": 0,")) {
                    refused++;
                    assertTrue(reply.contains("cannot start another thread"), at + "reply " + i + ": " + reply);
                } else if (i % 5 < 3) {
                    int back = i % 5;
                    byte[] e = Files.readAllBytes(out.resolve("e" + (i / 5) + back + ".safetensors"));
                    byte[] npy = committed.get(2 - back);
                    assertArrayEquals(Arrays.copyOfRange(npy, npy.length - 4 * ELEMENTS, npy.length), Arrays.copyOfRange(e, e.length - 4 * ELEMENTS,
                            e.length), at + "HEAD~" + back + "'s values");
                }
            }
            try (var s = Files.list(out)) {
                for (Path e : s.toList()) {
                    Files.delete(e);
                }
            }
        }
        System.err.println("ThreadLimitIT: a kept handle ran under " + ran + " limits (--version needs " + fewest + "), " + refused
                + " of its commands refused in one line");
        assertTrue(ran >= 3, "the JVM ran under " + ran + " limits (does another process run as user " + UID + "?)");
    }

    @Test
    void commandsSucceedOrFailInOneLineAndNeverPutTheJvmsMessagesInTheirOutput() throws Exception {
        Path w = sharedRepository();
        Path file = w.resolve("w.npy");
        List<byte[]> committed = new ArrayList<>();
        int degraded = 0;
        int refused = 0;
        int ran = 0;
        int fewest = fewestToStart(w, false);
        for (int processes = fewest + 8; processes >= fewest - 2; processes--) {
            byte[] bytes = npy(processes);
            Files.write(file, bytes);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            String at = "ulimit -u " + processes + ": ";
            Run commit = coral(w, processes, "commit", "-q", "-m", "limit " + processes, "w.npy");
            if (jvmDidNotStart(commit)) {
                break; // below what a JVM needs: the limits above it were the ones to test
            }
            ran++;
            if (commit.code() == 0) {
                committed.add(bytes);
            } else {
                refused++;
                assertEquals(1, commit.code(), at + commit.err());
                assertTrue(commit.err().lines().filter(l -> l.startsWith("coral: ")).count() == 1
                        && commit.err().contains("coral: cannot start another thread: ") && commit.err().contains("ulimit -u"), at + commit.err());
            }
            Run export = coral(w, processes, "export", "HEAD:w.npy", "-o", "-");
            if (export.code() == 0) {
                assertArrayEquals(committed.get(committed.size() - 1), export.out(), at + "an export that succeeded gave the committed bytes alone: "
                        + export.err());
            } else if (!jvmDidNotStart(export)) {
                refused++;
                assertTrue(export.err().contains("coral: cannot start another thread: "), at + export.err());
            }
            for (Run r : List.of(commit, export)) {
                assertFalse(r.err().contains("internal error"), at + r.err());
                if (r.code() == 0 && r.err().contains("Failed to start")) {
                    degraded++; // a thread would not start, and the command went on without it
                }
            }
        }
        System.err.println("ThreadLimitIT: " + ran + " limits ran (--version needs " + fewest + "), " + committed.size() + " commits, " + degraded
                + " commands succeeded without a thread they asked for, " + refused + " refused in one line");
        assertTrue(ran >= 3 && !committed.isEmpty(), "the JVM ran under " + ran + " limits, committed " + committed.size()
                + " (does another process run as user " + UID + "?)");
        assertTrue(degraded + refused > 0, "no command met the limit before the JVM itself did: this test no longer tests what it says");
        Run fsck = coral(w, 0, "fsck");
        assertEquals(0, fsck.code(), fsck.text() + fsck.err());
        Run log = coral(w, 0, "log", "--oneline");
        assertEquals(committed.size(), log.text().lines().count(), log.text());
        for (int back = 0; back < committed.size(); back++) {
            Run export = coral(w, 0, "export", "HEAD~" + back + ":w.npy", "-o", "-");
            assertEquals(0, export.code(), export.err());
            assertArrayEquals(committed.get(committed.size() - 1 - back), export.out(), "HEAD~" + back);
        }
    }
}
