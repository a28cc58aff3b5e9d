package dev.coral.perf;

import dev.coral.perf.stress.LauncherFlags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two builds of the command line compared where users meet them: one JVM per command, with the
 * JIT flags the {@code ./coral} launcher gives that command ({@link LauncherFlags}), the two jars
 * in turn (the order swapped every run, so that neither always runs on a warmer page cache),
 * each run preceded by an optional reset command (untimed, by the same jar). Prints each jar's
 * median wall and CPU seconds and in how many runs B was faster.
 *
 * <pre>
 * java -cp perf/target/classes dev.coral.perf.JarAB --a OLD.jar --b NEW.jar --dir REPO [--dir-b COPY] [--runs 6]
 *      [--reset "checkout --force main"] -- checkout --force main~5
 * </pre>
 *
 * {@code --dir-b}: B runs in a copy of the repository of its own, for a B that writes something
 * A cannot read (a newer staging index version).
 *
 * Why it exists: a JMH gain is a gain once the JIT has compiled the code; a command runs in a
 * fresh JVM, where a larger method can cost more to compile than it saves. Measured 2026-12-02:
 * Huffman decoding written out two streams at a time decoded BF16 planes 8-19% faster in JMH and
 * made an 84 MB {@code coral export} 10-13% slower; it was reverted. The CPU time is the command's
 * children's, from bash's {@code times} (Linux, bash needed).
 */
public final class JarAB {
    private JarAB() {
    }

    public static void main(String[] args) throws InterruptedException {
        try {
            compare(args);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("JarAB: " + e.getMessage());
            System.exit(e instanceof IOException ? 1 : 2);
        }
    }

    private static void compare(String[] args) throws IOException, InterruptedException {
        Path[] jars = new Path[2];
        Path[] dirs = {Path.of("."), null};
        int runs = 6;
        List<String> reset = List.of();
        int i = 0;
        for (; i < args.length && !args[i].equals("--"); i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + ": needs a value");
            }
            switch (args[i]) {
                case "--a" -> jars[0] = existing(args[i + 1]);
                case "--b" -> jars[1] = existing(args[i + 1]);
                case "--dir" -> dirs[0] = existing(args[i + 1]);
                case "--dir-b" -> dirs[1] = existing(args[i + 1]);
                case "--runs" -> runs = runs(args[i + 1]);
                case "--reset" -> reset = List.of(args[i + 1].trim().split("\\s+"));
                default -> throw new IllegalArgumentException(args[i] + ": unknown option (--a, --b, --dir, --dir-b, --runs, --reset, then -- and the command)");
            }
        }
        List<String> command = i < args.length ? List.of(args).subList(i + 1, args.length) : List.of();
        if (jars[0] == null || jars[1] == null || command.isEmpty() || runs < 1) {
            throw new IllegalArgumentException("usage: JarAB --a OLD.jar --b NEW.jar --dir REPO [--dir-b COPY] [--runs N] [--reset \"ARGS\"] -- ARGS...");
        }
        if (dirs[1] == null) {
            dirs[1] = dirs[0];
        }
        double[][] wall = new double[2][runs];
        double[][] cpu = new double[2][runs];
        Path log = Files.createTempFile("jarab", ".log");
        try {
            for (int r = 0; r < runs; r++) {
                for (int k = 0; k < 2; k++) {
                    int v = r % 2 == 0 ? k : 1 - k;
                    if (!reset.isEmpty()) {
                        run(jars[v], dirs[v], reset, log);
                    }
                    double[] t = run(jars[v], dirs[v], command, log);
                    wall[v][r] = t[0];
                    cpu[v][r] = t[1];
                }
            }
        } finally {
            Files.deleteIfExists(log);
        }
        System.out.printf(Locale.ROOT, "coral %s, %d runs each, one JVM per command (%s)%n", String.join(" ", command), runs,
                String.join(" ", LauncherFlags.forCommand(command.get(0))));
        for (int v = 0; v < 2; v++) {
            double[] w = wall[v].clone();
            Arrays.sort(w);
            System.out.printf(Locale.ROOT, "%s %s: wall median %.2f s (%.2f-%.2f), CPU median %.2f s%n", v == 0 ? "A" : "B", jars[v],
                    median(wall[v]), w[0], w[runs - 1], median(cpu[v]));
        }
        int faster = 0;
        for (int r = 0; r < runs; r++) {
            faster += wall[1][r] < wall[0][r] ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "B faster in %d of %d runs%n", faster, runs);
    }

    /** Runs {@code coral args} with {@code jar} in {@code dir}, its output discarded; returns {wall seconds, CPU seconds}; throws with its errors if it fails. */
    private static double[] run(Path jar, Path dir, List<String> args, Path log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "\"$@\" >/dev/null 2>'" + log + "'; rc=$?; times; exit $rc", "jarab",
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(LauncherFlags.forCommand(args.get(0)));
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        List<String> times = new String(p.getInputStream().readAllBytes()).lines().toList();
        int rc = p.waitFor();
        double wall = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IOException(jar + ": coral " + String.join(" ", args) + " exited " + rc + ": " + Files.readString(log).strip());
        }
        return new double[] {wall, times.size() < 2 ? Double.NaN : childCpu(times.get(1))};
    }

    /** User + system seconds from bash's {@code times} line of the children ("0m1.234s 0m0.123s"). */
    private static double childCpu(String line) {
        double sum = 0;
        for (String part : line.trim().split("\\s+")) {
            int m = part.indexOf('m');
            sum += Double.parseDouble(part.substring(0, m)) * 60 + Double.parseDouble(part.substring(m + 1, part.length() - 1));
        }
        return sum;
    }

    private static int runs(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--runs: not a whole number: " + s);
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static Path existing(String p) {
        Path path = Path.of(p);
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(p + ": no such file or folder");
        }
        return path.toAbsolutePath();
    }
}
