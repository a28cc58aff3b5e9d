package dev.coral.perf.stress;

import dev.coral.perf.TwoBuilds;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Two builds' commits in one JVM, commit for commit: each build ({@link TwoBuilds}) commits the
 * same training loop's checkpoints through {@code commitTensors} into a repository of its own, A
 * then B on even steps and B then A on odd ones, so that both see the same minute of a disk whose
 * fsyncs vary by half from run to run. Prints each build's median, p10 and p90 over the steps
 * past the first quarter, the median and mean of the paired differences (B − A), in how many steps B
 * was faster, and each build's mean by the step's place in a run of the chain layout (a change to
 * one place, such as the skip link that starts each run, moves the median of all by little). Measured 2026-12-03: three separate runs of each build had shown a change 2 ms faster
 * and then 3 ms slower; paired, it was 0.75 ms slower (faster in 89 of 180) and was dropped.
 *
 * <pre>
 * java -cp perf/target/classes:$(cat deps.txt) dev.coral.perf.stress.CommitAB OLD/core/target/classes core/target/classes DIR [STEPS [HIDDEN]]
 * </pre>
 * (defaults 160 steps of the issue's [64, 864, 864, 16] MLP, 3.27 MB per fp32 checkpoint; DIR must
 * not exist.) The classpath must hold the libraries; its own coral-core entries are left out.
 */
public final class CommitAB {
    private CommitAB() {
    }

    /** One build's repository, driven by reflection through the build's own classes. */
    private static final class Build {
        final Object repo;
        final Method tensorsOf;
        final Method specOf;
        final Object f32;
        final Method request;
        final Method commitTensors;

        Build(ClassLoader l, Path dir) throws Exception {
            Class<?> repository = l.loadClass("dev.coral.api.Repository");
            Class<?> tensors = l.loadClass("dev.coral.api.Tensors");
            Class<?> spec = l.loadClass("dev.coral.tensor.TensorSpec");
            Class<?> dtype = l.loadClass("dev.coral.tensor.DType");
            Class<?> req = l.loadClass("dev.coral.api.CommitRequest");
            repo = repository.getMethod("init", Path.class).invoke(null, dir);
            tensorsOf = tensors.getMethod("of", String.class, spec, byte[].class);
            specOf = spec.getMethod("of", dtype, long[].class);
            f32 = dtype.getField("F32").get(null);
            request = req.getMethod("of", String.class);
            commitTensors = repository.getMethod("commitTensors", String.class, List.class, Map.class, req);
        }

        /** Milliseconds one commit of {@code tensors} (name to fp32 bytes) takes. */
        double commit(Map<String, byte[]> tensors, Mlp net, int step) throws Exception {
            List<Object> list = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : tensors.entrySet()) {
                list.add(tensorsOf.invoke(null, e.getKey(), specOf.invoke(null, f32, net.shapeOf(e.getKey())), e.getValue()));
            }
            Object r = request.invoke(null, "step " + step);
            long t0 = System.nanoTime();
            commitTensors.invoke(repo, "model.safetensors", list, Map.of(), r);
            return (System.nanoTime() - t0) / 1e6;
        }

        void close() throws Exception {
            ((AutoCloseable) repo).close();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || Files.exists(Path.of(args[2]))) {
            System.err.println("usage: CommitAB A_CLASSES B_CLASSES DIR [STEPS [HIDDEN]] (DIR must not exist)");
            System.exit(2);
        }
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 160;
        int hidden = args.length > 4 ? Integer.parseInt(args[4]) : 864;
        Path dir = Path.of(args[2]);
        ClassLoader[] loaders = TwoBuilds.loaders(args[0], args[1]);
        Build a = new Build(loaders[0], dir.resolve("a"));
        Build b = new Build(loaders[1], dir.resolve("b"));
        Mlp net = new Mlp(new int[] {64, hidden, hidden, 16}, 7);
        SplittableRandom data = new SplittableRandom(3);
        int from = steps / 4;
        double[] ta = new double[steps - from];
        double[] tb = new double[steps - from];
        long bytes = 0;
        for (int s = 0; s < steps; s++) {
            net.adamStep(data, 64, 1e-3f);
            Map<String, byte[]> tensors = new java.util.LinkedHashMap<>();
            bytes = 0;
            for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
                byte[] v = Mlp.fp32(e.getValue());
                tensors.put(e.getKey(), v);
                bytes += v.length;
            }
            double da;
            double db;
            if (s % 2 == 0) {
                da = a.commit(tensors, net, s);
                db = b.commit(tensors, net, s);
            } else {
                db = b.commit(tensors, net, s);
                da = a.commit(tensors, net, s);
            }
            if (s >= from) {
                ta[s - from] = da;
                tb[s - from] = db;
            }
        }
        a.close();
        b.close();
        int n = ta.length;
        double[] diff = new double[n];
        int bFaster = 0;
        for (int i = 0; i < n; i++) {
            diff[i] = tb[i] - ta[i];
            bFaster += tb[i] < ta[i] ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "# %.2f MB checkpoints, steps %d..%d of %d, commits alternating A/B%n", bytes / 1e6, from, steps - 1, steps);
        System.out.printf(Locale.ROOT, "A: median %.2f ms, p10 %.2f, p90 %.2f%n", Percentile.of(ta, 50), Percentile.of(ta, 10), Percentile.of(ta, 90));
        System.out.printf(Locale.ROOT, "B: median %.2f ms, p10 %.2f, p90 %.2f%n", Percentile.of(tb, 50), Percentile.of(tb, 10), Percentile.of(tb, 90));
        System.out.printf(Locale.ROOT, "B - A, paired: median %+.2f ms, mean %+.2f (A's mean %.2f); B faster in %d of %d commits%n",
                Percentile.of(diff, 50), mean(diff, 0, 1), mean(ta, 0, 1), bFaster, n);
        StringBuilder places = new StringBuilder("by place in a run of " + RUN + " (mean ms, A / B):");
        for (int p = 0; p < RUN; p++) {
            int first = Math.floorMod(p - from, RUN);
            places.append(String.format(Locale.ROOT, " %d: %.1f / %.1f", p, mean(ta, first, RUN), mean(tb, first, RUN)));
        }
        System.out.println(places);
    }

    /** The repository's default run of the chain layout: step s is at place s % RUN of its run. */
    private static final int RUN = 8;

    /** The mean of every {@code step}-th value from {@code first}. */
    private static double mean(double[] v, int first, int step) {
        double sum = 0;
        int k = 0;
        for (int i = first; i < v.length; i += step, k++) {
            sum += v[i];
        }
        return sum / Math.max(1, k);
    }
}
