package dev.coral.cli;

import dev.coral.io.Folders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * What a {@code coral daemon} runs when it starts, before any caller's command: a short training
 * history committed and checked out in a scratch repository of its own, so that the compiler has
 * compiled the encoders and decoders before the first real command needs them. Measured (one
 * {@code coral batch} process, the 84 MB checkpoints of perf's MLP): its first two commits took
 * 0.63-0.67 and 1.22-1.34 s cold, 0.30-0.38 and 0.49-0.66 s after this warm-up; a checkout three
 * links deep 0.72-0.79 s against 0.50-0.66. A step back (each chunk's delta undone on the
 * file's bytes, {@code ChunkDecoder.undo}) is among the checkouts since 2026-12-06: the first
 * step back through a warmed-up daemon, 84 MB ({@code main~2} from {@code main~1}'s file), took 272-320 ms
 * without it and 161-193 ms with it, three runs each in turn.
 *
 * <p>The model is small (13.1 MB: two fp32 matrices, a bias, a BF16 matrix, and 160 fp32 tensors
 * of 16 KB) and moves by small random steps as Adam's updates do, so that its commits choose the
 * codecs a real history's do. The small tensors (a chunk each) were added for the methods run
 * once per chunk: in a daemon committing the 84 MB model (21 chunks) C2 still compiled 53-77 ms
 * of CPU per commit over commits 2-23 after the warm-up without them (five runs, mean 63), 35-57
 * with them (six runs, mean 44; the warm-up 3.3-4.0 s, then 5.1-5.5 s); the commits' wall times
 * were within this machine's noise (means 304-342 against 303-330 ms).
 *
 * <p>Before each command it asks {@code stop}: a caller's command arriving, or the daemon stopping, ends the
 * warm-up there (the command running then finishes, a few hundred milliseconds at most, and the
 * scratch folder is removed).
 */
final class DaemonWarmUp {
    /** Commits of the scratch history: the first is keyframes, the rest deltas past a run's skip link. */
    static final int STEPS = 7;
    /** Small tensors of the model, a chunk each (see {@link Model}). */
    static final int BLOCKS = 160;
    private static final int ROWS = 1024;
    private static final int COLS = 1024;

    /** How a warm-up ended: its commands run, of how many, and its time. */
    record Outcome(int ran, int planned, long millis, String failure) {
        boolean complete() {
            return ran == planned && failure == null;
        }

        String describe() {
            if (failure != null) {
                return "failed after " + ran + " of " + planned + " commands: " + failure;
            }
            return (complete() ? "done" : "cut short by a command after " + ran + " of " + planned + " commands") + " in "
                    + millis + " ms";
        }
    }

    private final Path scratch;
    private final BooleanSupplier stop;

    /** A warm-up in {@code scratch} (removed before and after), giving way when {@code stop} says so. */
    DaemonWarmUp(Path scratch, BooleanSupplier stop) {
        this.scratch = scratch;
        this.stop = stop;
    }

    /** Runs the scratch history's commands until done or told to stop; removes the scratch folder either way. */
    Outcome run() {
        long t0 = System.nanoTime();
        List<List<String>> commands = commands();
        int ran = 0;
        String failure = null;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream(); // a failing command's message, for the log
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        try (SharedHandles handles = new SharedHandles()) {
            Folders.deleteTree(scratch);
            Path repo = Files.createDirectories(scratch.resolve("repo"));
            Model model = new Model(57, BLOCKS);
            for (List<String> c : commands) {
                if (stop.getAsBoolean()) {
                    break;
                }
                if (c.get(0).equals("commit")) {
                    model.write(repo.resolve("model.safetensors"));
                    model.step();
                }
                errBytes.reset();
                int code = Main.run(Session.inDaemon(quiet, err, false, false, handles, repo, System.getenv()), c.toArray(String[]::new));
                if (code != 0) {
                    failure = "coral " + String.join(" ", c) + ": exit " + code + " " + errBytes.toString(StandardCharsets.UTF_8).strip();
                    break;
                }
                ran++;
            }
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
        } finally {
            try {
                Folders.deleteTree(scratch);
            } catch (IOException e) {
                failure = failure != null ? failure : "cannot remove " + scratch + ": " + e.getMessage();
            }
        }
        return new Outcome(ran, commands.size(), (System.nanoTime() - t0) / 1_000_000, failure);
    }

    /**
     * Removes the scratch folders ({@code warm-up-PID}) of daemons no longer running: one killed
     * in its warm-up leaves its folder. A daemon's own folder is its to remove.
     */
    static void removeLeftovers(Path daemonDir) {
        try (var folders = Files.newDirectoryStream(daemonDir, "warm-up-*")) {
            for (Path f : folders) {
                String pid = f.getFileName().toString().substring("warm-up-".length());
                if (pid.matches("\\d{1,18}") && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                Folders.deleteTree(f);
            }
        } catch (IOException e) {
            // a later start tries again; the folder holds nothing a repository needs
        }
    }

    /**
     * Commits of the history (runs of 3: a skip link among them), then checkouts one and several
     * links deep, forward and a step back, and the read-only commands.
     */
    private static List<List<String>> commands() {
        List<List<String>> c = new ArrayList<>();
        c.add(List.of("init", "-q", "--delta-run", "3", "."));
        for (int s = 0; s < STEPS; s++) {
            c.add(List.of("commit", "-q", "-m", "warm-up step " + s, "model.safetensors"));
        }
        c.add(List.of("checkout", "-q", "--force", "main~4"));
        c.add(List.of("checkout", "-q", "--force", "main~1"));
        c.add(List.of("checkout", "-q", "--force", "main~2")); // a step back: each chunk's delta undone on the file's bytes
        c.add(List.of("checkout", "-q", "--force", "main"));
        c.add(List.of("status"));
        c.add(List.of("log", "-n", "3"));
        c.add(List.of("diff", "main~1", "main"));
        return c;
    }

    /**
     * A small model in training, written as safetensors: each step moves its weights by about
     * Adam's learning rate. Its big matrices make the compiler compile the codecs' loops; its
     * {@code blocks} small tensors (a chunk each) make the methods run once per chunk (writing a
     * pack entry, building code tables) hot enough to be compiled too, which 84 MB commits of 21
     * chunks reach only after 25-40 commits.
     */
    private static final class Model {
        private record Weight(String name, boolean bf16, int[] shape, float[] values) {
            long bytes() {
                return (long) values.length * (bf16 ? 2 : 4);
            }
        }

        private final SplittableRandom random;
        private final List<Weight> weights = new ArrayList<>();

        Model(long seed, int blocks) {
            random = new SplittableRandom(seed);
            weights.add(weight("l1.weight", false, 0.05, ROWS, COLS));
            weights.add(weight("l1.bias", false, 0.01, COLS));
            weights.add(weight("l2.weight", false, 0.05, ROWS, COLS));
            weights.add(weight("emb", true, 0.05, ROWS, COLS));
            for (int k = 0; k < blocks; k++) {
                weights.add(weight("block" + k + ".weight", false, 0.05, 64, 64));
            }
        }

        private Weight weight(String name, boolean bf16, double scale, int... shape) {
            float[] v = new float[java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * scale);
            }
            return new Weight(name, bf16, shape, v);
        }

        void step() {
            for (Weight w : weights) {
                float[] v = w.values();
                for (int i = 0; i < v.length; i++) {
                    v[i] -= (float) ((random.nextDouble() - 0.5) * 2e-3);
                }
            }
        }

        void write(Path file) throws IOException {
            StringBuilder header = new StringBuilder("{");
            long offset = 0;
            for (Weight w : weights) {
                header.append(header.length() > 1 ? "," : "").append('"').append(w.name()).append("\":{\"dtype\":\"")
                        .append(w.bf16() ? "BF16" : "F32").append("\",\"shape\":").append(java.util.Arrays.toString(w.shape()).replace(" ", ""))
                        .append(",\"data_offsets\":[").append(offset).append(',').append(offset + w.bytes()).append("]}");
                offset += w.bytes();
            }
            byte[] h = header.append('}').toString().getBytes(StandardCharsets.US_ASCII);
            int padded = (h.length + 7) & ~7;
            ByteBuffer b = ByteBuffer.allocate((int) (8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(padded).put(h);
            for (int i = h.length; i < padded; i++) {
                b.put((byte) ' ');
            }
            for (Weight w : weights) {
                for (float f : w.values()) {
                    if (w.bf16()) {
                        b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
                    } else {
                        b.putFloat(f);
                    }
                }
            }
            Files.write(file, b.array());
        }
    }
}
