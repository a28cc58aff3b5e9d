package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Going back through a long history one commit at a time, as a user looking for the best
 * checkpoint does: the throughput scenario's 84 MB MLP (fp32, or BF16 as each weight's top two
 * bytes) trained for STEPS Adam steps, each committed into one repository per layout, then
 * {@code checkout main~d} for d = 1 .. STEPS-1, each from the file main~(d-1) left. The throughput
 * scenario's 8 steps hold one run of the chain layout; here every run boundary is crossed, where a
 * step back decodes the whole run below it. Layouts are {@code key=value[,key=value]} settings
 * ({@code codec.zigzag=false}, {@code delta.run=4}); the default layout is always measured. The
 * first round compiles the decoders and checks every file against the SHA-256 of what was
 * committed; each depth's median over the later rounds is reported, the layouts taking turns.
 *
 * <p>Run: {@code java -Xmx4g -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.StepBackProbe DIR [STEPS [fp32|bf16 [ROUNDS [GAP_MS [checkout|load|export|restore]]]]] [key=value[,key=value] ...]}
 * (defaults 32 steps, fp32, 5 rounds, no gap, checkout). GAP_MS is the time between a checkout and
 * the next (the user evaluating the checkpoint), which reading ahead ({@code VersionsAhead}) works
 * in; only the checkouts are timed. {@code load} reads each commit's tensors into memory
 * ({@code Repository.tensors}, as an evaluation loop in Java does) instead of checking the file
 * out; {@code export} exports each commit's file to a stream in memory ({@code Repository.export},
 * as {@code coral export REV:PATH -o -} does); {@code restore} restores the file from each commit
 * with HEAD staying ({@code Repository.restoreWorkTree}, as {@code coral restore --source REV PATH}
 * does). DIR must not exist.
 */
public final class StepBackProbe {
    private StepBackProbe() {
    }

    /** Every tensor of {@code path} in {@code revision} read into memory, in the file's order, as an evaluation loop loads a checkpoint. */
    private static byte[] loadAll(Repository r, String revision, String path) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (dev.coral.repo.StoredTensor t : r.tensors(revision, path)) {
            try (java.io.InputStream in = t.openStream()) {
                in.transferTo(out);
            }
        }
        return out.toByteArray();
    }

    /** The file {@code path} of {@code revision} as committed, exported to a stream (as {@code coral export REV:PATH -o -}). */
    private static byte[] exportTo(Repository r, String revision, String path) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        r.export(revision, path, out, null);
        return out.toByteArray();
    }

    /** A safetensors file's data: its bytes after the header. */
    private static byte[] tensorData(byte[] file) {
        long n = java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(file, (int) (8 + n), file.length);
    }

    /** The user's work between two checkouts (evaluating the checkpoint), as a sleep. */
    private static void think(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public static void main(String[] args) throws IOException {
        ProbeArgs a = ProbeArgs.of(args, "StepBackProbe DIR [STEPS [fp32|bf16 [ROUNDS [GAP_MS [checkout|load|export|restore]]]]] [key=value[,key=value] ...]");
        List<String> positional = new ArrayList<>();
        List<Map<String, String>> layouts = new ArrayList<>();
        layouts.add(Map.of());
        for (String s : Arrays.copyOfRange(args, 1, args.length)) {
            if (s.contains("=")) {
                Map<String, String> m = new LinkedHashMap<>();
                for (String kv : s.split(",")) {
                    String[] p = kv.split("=", 2);
                    m.put(p[0], p[1]);
                }
                layouts.add(m);
            } else {
                positional.add(s);
            }
        }
        int steps = positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 32;
        DType dtype = positional.size() > 1 && positional.get(1).equals("bf16") ? DType.BF16 : DType.F32;
        int rounds = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 5;
        long gapMillis = positional.size() > 3 ? Long.parseLong(positional.get(3)) : 0;
        String mode = positional.size() > 4 ? positional.get(4) : "checkout";
        if (!List.of("checkout", "load", "export", "restore").contains(mode)) {
            throw new IllegalArgumentException("mode " + mode + ": checkout, load, export or restore");
        }
        boolean load = mode.equals("load");
        boolean export = mode.equals("export");
        boolean restore = mode.equals("restore");
        if (steps < 2 || rounds < 2) {
            throw new IllegalArgumentException("STEPS and ROUNDS: at least 2");
        }
        Path dir = Files.createDirectories(a.dir());
        Path[] roots = new Path[layouts.size()];
        for (int k = 0; k < roots.length; k++) {
            roots[k] = dir.resolve("layout-" + k);
            try (Repository r = Repository.init(roots[k])) {
                for (Map.Entry<String, String> e : layouts.get(k).entrySet()) {
                    r.setConfig(e.getKey(), e.getValue());
                }
            }
        }
        Mlp net = new Mlp(ThroughputScenario.dims(Scale.of("default")), 11);
        SplittableRandom data = new SplittableRandom(99);
        byte[][] sha = new byte[steps][];
        long fileBytes = 0;
        for (int step = 0; step < steps; step++) {
            net.adamStep(data, 2, 1e-3f);
            byte[] bytes = dtype == DType.BF16 ? ThroughputScenario.bf16Safetensors(net) : ThroughputScenario.safetensors(net);
            fileBytes = bytes.length;
            sha[step] = Baselines.sha256().digest(load ? tensorData(bytes) : bytes); // (an export writes the file as committed)
            for (Path root : roots) {
                Path file = root.resolve("model.safetensors");
                Files.write(file, bytes);
                try (Repository r = Repository.open(root)) {
                    r.commit(CommitRequest.of("step " + step), List.of(file));
                }
            }
            System.err.printf(Locale.ROOT, "step %d/%d committed%n", step + 1, steps);
        }
        double[][][] seconds = new double[roots.length][rounds][steps];
        for (int round = 0; round < rounds; round++) {
            for (int j = 0; j < roots.length; j++) {
                int k = (j + round) % roots.length; // the layouts take turns at going first
                try (Repository r = Repository.open(roots[k])) {
                    Path file = roots[k].resolve("model.safetensors");
                    if (load) {
                        loadAll(r, "main", file.getFileName().toString());
                    } else if (export) {
                        exportTo(r, "main", file.getFileName().toString());
                    } else if (restore) {
                        r.restoreWorkTree(List.of(file), "main", false);
                    } else {
                        r.checkout("main", true);
                    }
                    for (int d = 1; d < steps; d++) {
                        long t0 = System.nanoTime();
                        byte[] got = null;
                        if (load) {
                            got = loadAll(r, "main~" + d, file.getFileName().toString());
                        } else if (export) {
                            got = exportTo(r, "main~" + d, file.getFileName().toString());
                        } else if (restore) {
                            r.restoreWorkTree(List.of(file), "main~" + d, false);
                        } else {
                            r.checkout("main~" + d, true);
                        }
                        seconds[k][round][d] = (System.nanoTime() - t0) / 1e9;
                        if (round == 0 && !Arrays.equals(Baselines.sha256().digest(got != null ? got : Files.readAllBytes(file)), sha[steps - 1 - d])) {
                            throw new IllegalStateException(roots[k] + ": main~" + d + (load || export ? " read" : " checked out") + " is not what was committed");
                        }
                        think(gapMillis);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%d Adam steps of the throughput scenario's MLP as %s (%s a file); step back main~1 .. main~%d, %s"
                + "%s; each depth's median of rounds 2-%d%n", steps, dtype, Fmt.mb(fileBytes), steps - 1,
                load ? "each read into memory (Repository.tensors, no file)"
                        : export ? "each exported to a stream in memory (Repository.export, no file)"
                        : restore ? "each restored from the file of the one before, HEAD staying (restore --source)" : "each from the file of the one before",
                gapMillis == 0 ? ", at once" : ", " + gapMillis + " ms apart (the user evaluating each)", rounds);
        for (int k = 0; k < roots.length; k++) {
            double[] med = new double[steps - 1];
            for (int d = 1; d < steps; d++) {
                double[] x = new double[rounds - 1];
                for (int round = 1; round < rounds; round++) {
                    x[round - 1] = seconds[k][round][d];
                }
                med[d - 1] = Percentile.of(x, 50);
            }
            double total = Arrays.stream(med).sum();
            double typical = Percentile.of(med, 50);
            StringBuilder slow = new StringBuilder();
            for (int d = 1; d < steps; d++) {
                if (med[d - 1] > 2 * typical) {
                    slow.append(slow.length() == 0 ? "" : ", ").append("~").append(d).append(' ')
                            .append(Fmt.f(med[d - 1] * 1e3)).append(" ms");
                }
            }
            long stored;
            try (Repository r = Repository.open(roots[k])) {
                stored = r.stats(false, false).storedBytes();
            }
            System.out.printf(Locale.ROOT, "  %-28s stored %s (%s); step back %s over all, median step %s ms (%s); slower than twice that: %s%n",
                    layouts.get(k).isEmpty() ? "default" : layouts.get(k).toString(), Fmt.mb(stored),
                    Fmt.ratio((double) fileBytes * steps / stored), Fmt.mbps(fileBytes * (steps - 1), total), Fmt.f(typical * 1e3),
                    Fmt.mbps(fileBytes, typical), slow.length() == 0 ? "none" : slow);
            StringBuilder byDepth = new StringBuilder();
            for (int d = 1; d < steps; d++) {
                byDepth.append(d == 1 ? "" : " ").append(Math.round(med[d - 1] * 1e3));
            }
            System.out.printf(Locale.ROOT, "    ms by depth 1..%d: %s%n", steps - 1, byDepth);
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder();
                for (int d = 1; d < steps; d++) {
                    line.append(d == 1 ? "" : " ").append(Math.round(seconds[k][round][d] * 1e3));
                }
                System.out.printf(Locale.ROOT, "    round %d: %s%n", round + 1, line);
            }
        }
    }
}
