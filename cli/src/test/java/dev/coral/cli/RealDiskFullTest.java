package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A disk that fills up, for real: each command that writes runs on a small tmpfs of this test's
 * own with only a little room left, and when it fails it exits 1 with one line naming the file or
 * folder it could not write, changes no branch, tag, HEAD or staged entry, leaves no temporary file (nor a part
 * of an export) in the working folder, and fsck stays clean; once there is room again the same
 * command works. Found by {@code perf/tools/disk-full-fuzz.py} (2026-12-06): a checkout that could
 * not write HEAD's lock, a merge, a tag and a gc said only "coral: No space left on device"
 * (simulated faults had covered packs and checked-out files, not locks, merged files and the
 * multi-pack index), and a lock whose owner could not be written left its temporary file.
 *
 * <p>Mounting needs root, which the suite has here and in CI; run as another user, the test is
 * skipped with a warning on standard error.
 */
class RealDiskFullTest {
    private static Path disk;

    @BeforeAll
    static void mount() throws Exception {
        boolean root = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        if (!root) {
            System.err.println("WARNING: RealDiskFullTest SKIPPED: mounting its tmpfs needs root (CI runs the suite as root)");
            Assumptions.abort("needs root to mount a tmpfs");
        }
        disk = Files.createTempDirectory("coral-full-disk");
        String err = sh("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", disk.toString());
        if (err != null) {
            Files.delete(disk);
            disk = null;
            throw new IllegalStateException("RealDiskFullTest runs as root but cannot mount a tmpfs: " + err);
        }
    }

    @AfterAll
    static void unmount() throws Exception {
        if (disk != null) {
            sh("umount", disk.toString());
            Files.delete(disk);
        }
    }

    /** Runs a system command; null if it worked, else what it said. */
    private static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", cmd) + ": did not end in 30 s";
        }
        return p.exitValue() == 0 ? null : String.join(" ", cmd) + ": " + said.strip();
    }

    /** What the working folder gets before the command: nothing, the model's next step, or a large new file. */
    enum Change { NONE, STEP, LARGE }

    private static final long[] LITTLE_ROOM = {0, 16 << 10, 160 << 10};

    static Stream<Arguments> commands() {
        return Stream.of(
                Arguments.of(Change.STEP, List.of("commit", "-a", "-m", "four"), LITTLE_ROOM),
                Arguments.of(Change.STEP, List.of("add", "model.safetensors"), LITTLE_ROOM),
                // a pack past 4 MB is written on a thread of its own (BackgroundChannelWriter), whose
                // failure said "writing .tmp-incoming.pack-UUID: No space left on device" (the fuzzer, on ext4)
                Arguments.of(Change.LARGE, List.of("add", "large.npy"), new long[] {(4 << 20) + (512 << 10)}),
                Arguments.of(Change.NONE, List.of("checkout", "--force", "main~1"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("checkout", "main~1", "--", "model.safetensors"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("restore", "--source", "side", "emb.npy"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("export", "main~1:model.safetensors", "-o", "out.npz"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("tag", "t1", "-m", "best"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("branch", "b1", "main~1"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("merge", "side", "--strategy", "average", "-m", "merged"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("gc", "--prune=now"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("repack"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("config", "delta.run", "3"), LITTLE_ROOM),
                // forced: a switch that fails half-way leaves the files it wrote, which a switch again
                // without -f refuses to overwrite (local changes), as git's does
                Arguments.of(Change.NONE, List.of("switch", "-f", "-c", "b2", "side"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("reset", "--hard", "main~1"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("rm", "emb.npy"), LITTLE_ROOM),
                Arguments.of(Change.NONE, List.of("mv", "emb.npy", "e.npy"), LITTLE_ROOM));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("commands")
    void aCommandOnAFullDiskFailsInOneLineAndLeavesTheRepositoryWhole(Change change, List<String> args, long[] rooms) throws Exception {
        int failures = 0;
        for (long room : rooms) {
            Path w = Files.createDirectory(disk.resolve("w"));
            try {
                Cli cli = history(w);
                if (change == Change.STEP) {
                    model(w, 4);
                } else if (change == Change.LARGE) { // 6 MB of noise: stored as large as it is
                    Cli.write(w.resolve("large.npy"), "npy", List.of(Cli.f32("array", new SplittableRandom(9), 1536, 1024)));
                }
                Map<String, String> refs = refs(w);
                String staged = staged(cli);
                Cli.Result r;
                Ballast full = Ballast.leaving(disk, room);
                try {
                    r = cli.run(args.toArray(String[]::new));
                } finally {
                    full.close();
                }
                if (r.code() == 0) {
                    continue;
                }
                failures++;
                String what = String.join(" ", args) + " with " + room + " bytes free";
                assertEquals(1, r.code(), what + ": " + r.err());
                assertEquals(1, r.errLines().size(), what + ": one line: " + r.err());
                String line = r.errLines().get(0);
                assertTrue(line.startsWith("coral: ") && line.contains("No space left on device") && line.contains(w.toString()),
                        what + ": a line naming the file or folder: " + line);
                assertEquals(refs, refs(w), what + ": refs unchanged");
                assertEquals(staged, staged(cli), what + ": what is staged unchanged");
                try (Stream<Path> s = Files.walk(w)) {
                    List<Path> left = s.filter(p -> !p.startsWith(w.resolve(".coral")))
                            .filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
                    assertEquals(List.of(), left, what + ": temporary files left in the working folder");
                }
                assertFalse(Files.exists(w.resolve("out.npz")), what + ": part of an export left");
                cli.run("fsck").ok();
                cli.run(args.toArray(String[]::new)).ok();
                cli.run("fsck").ok();
            } finally {
                deleteTree(w);
            }
        }
        assertTrue(failures > 0, String.join(" ", args) + " never ran out of room: the test tests nothing");
    }

    /** Three commits on main and one on branch side, each file changed in each. */
    private static Cli history(Path w) throws IOException {
        Cli cli = new Cli(w);
        cli.run("init", "-q").ok();
        model(w, 1);
        cli.run("add", "-q", ".").ok();
        cli.run("commit", "-q", "-m", "one").ok();
        cli.run("switch", "-q", "-c", "side").ok();
        model(w, 2);
        cli.run("commit", "-q", "-a", "-m", "two").ok();
        cli.run("switch", "-q", "main").ok();
        model(w, 3);
        cli.run("commit", "-q", "-a", "-m", "three").ok();
        return cli;
    }

    /** 256 KB of safetensors and 128 KB of npy, the same seed's small steps. */
    private static void model(Path w, int step) throws IOException {
        SplittableRandom r = new SplittableRandom(step);
        Cli.write(w.resolve("model.safetensors"), "safetensors",
                List.of(Cli.f32("l0.w", r, 128, 256), Cli.f32("l1.w", r, 256, 128)));
        Cli.write(w.resolve("emb.npy"), "npy", List.of(Cli.f32("array", r, 256, 128)));
    }

    /**
     * What {@code status --json} says is staged (the index against HEAD): the index's bytes may
     * change meanwhile (a merge undone by a reset rewrites its files' entries with new times).
     */
    private static String staged(Cli cli) {
        String json = cli.run("status", "--json").ok().out();
        int from = json.indexOf("\"staged\"");
        return json.substring(from, json.indexOf("\"notStaged\"", from));
    }

    /** The bytes of HEAD and every branch and tag, by name. */
    private static Map<String, String> refs(Path w) throws IOException {
        Path c = w.resolve(".coral");
        Map<String, String> out = new TreeMap<>();
        out.put("HEAD", HexFormat.of().formatHex(Files.readAllBytes(c.resolve("HEAD"))));
        try (Stream<Path> s = Files.walk(c.resolve("refs"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".lock") && !n.startsWith(".tmp-")) {
                    out.put(c.relativize(p).toString(), HexFormat.of().formatHex(Files.readAllBytes(p)));
                }
            }
        }
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    /** A file that takes all the room of the disk but {@code room} bytes, deleted on close. */
    private static final class Ballast implements AutoCloseable {
        private final Path file;

        private Ballast(Path file) {
            this.file = file;
        }

        static Ballast leaving(Path disk, long room) throws IOException {
            Path f = disk.resolve("ballast");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
                try {
                    while (true) {
                        zeros.clear();
                        ch.write(zeros);
                    }
                } catch (IOException full) {
                    // the disk is full: give back what is to be left
                }
                ch.truncate(Math.max(0, ch.size() - room));
            }
            return new Ballast(f);
        }

        @Override
        public void close() throws IOException {
            Files.delete(file);
        }
    }
}
