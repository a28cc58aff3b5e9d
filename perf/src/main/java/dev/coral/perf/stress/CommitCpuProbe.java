package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Where a training loop's commit time and CPU go: an MLP trained by Adam commits every step
 * through {@code commitTensors}, as the training scenario does, and for the second half of the
 * steps (the JIT mostly done) the probe prints the median commit time beside Files.copy + fsync
 * of the same bytes, the calling thread's CPU inside the commits, and every thread's CPU over
 * those steps by name (Linux: {@code /proc/self/task}; the calling thread's share includes the
 * training itself, printed apart), and the median commit and its CPU by the step's place in a run
 * of the chain layout (the first a skip link, the others steps against the version before).
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.CommitCpuProbe DIR [STEPS [HIDDEN [fp32|bf16 [LAYERS [async]]]]]} (defaults 300, 864, fp32,
 * 2 hidden layers: the 0.8 M-parameter MLP, 3.27 MB per fp32 checkpoint; {@code 300 128 fp32 20}
 * is a model of many small tensors, 21 of 64 KB). With {@code async} the loop commits through
 * {@code commitTensorsAsync} and the times are how long the loop waits in each call. DIR must not exist.
 */
public final class CommitCpuProbe {
    private CommitCpuProbe() {
    }

    public static void main(String[] args) throws IOException {
        ProbeArgs a = ProbeArgs.of(args, "CommitCpuProbe DIR [STEPS [HIDDEN [fp32|bf16 [LAYERS [async]]]]]");
        Path dir = a.dir();
        int steps = a.intAt(1, 300);
        int hidden = a.intAt(2, 864);
        DType dtype = a.dtypeAt(3);
        int layers = a.intAt(4, 2);
        boolean async = a.saysAt(5, "async");
        List<CompletableFuture<ObjectId>> submitted = new ArrayList<>();
        long halfStart = 0;
        int[] sizes = new int[layers + 2];
        Arrays.fill(sizes, hidden);
        sizes[0] = 64;
        sizes[layers + 1] = 16;
        Mlp net = new Mlp(sizes, 7);
        SplittableRandom data = new SplittableRandom(3);
        Baselines base = new Baselines(Files.createDirectories(dir.resolve("scratch")));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int from = steps / 2;
        double[] commitMs = new double[steps - from];
        double[] copyMs = new double[steps - from];
        double[] cpuMs = new double[steps - from];
        long callerCpu = 0;
        double trainSeconds = 0;
        long bytes = 0;
        Map<String, Long> before = Map.of();
        Map<String, Long> after;
        long processBefore = 0;
        long processAfter;
        double halfSeconds;
        try (Repository repo = Repository.init(dir.resolve("repo"))) {
            for (int s = 0; s < steps; s++) {
                long t = System.nanoTime();
                net.adamStep(data, 64, 1e-3f);
                List<TensorSource> tensors = new ArrayList<>();
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
                    byte[] b = dtype == DType.F32 ? Mlp.fp32(e.getValue()) : Mlp.bf16(e.getValue());
                    tensors.add(Tensors.of(e.getKey(), TensorSpec.of(dtype, net.shapeOf(e.getKey())), b));
                    all.writeBytes(b);
                }
                byte[] checkpoint = all.toByteArray();
                bytes = checkpoint.length;
                if (s == from) {
                    halfStart = System.nanoTime();
                    before = threadCpu();
                    processBefore = processCpu();
                }
                if (s >= from) {
                    trainSeconds += (System.nanoTime() - t) / 1e9;
                }
                long cpu0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                if (async) {
                    submitted.add(repo.commitTensorsAsync("model.safetensors", tensors, Map.of(), CommitRequest.of("step " + s)));
                } else {
                    repo.commitTensors("model.safetensors", tensors, Map.of(), CommitRequest.of("step " + s));
                }
                long t1 = System.nanoTime();
                if (s >= from) {
                    commitMs[s - from] = (t1 - t0) / 1e6;
                    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                    cpuMs[s - from] = cpu / 1e6;
                    callerCpu += cpu;
                    double c = base.copySeconds;
                    base.measure(checkpoint, false);
                    copyMs[s - from] = (base.copySeconds - c) * 1e3;
                }
            }
            submitted.forEach(CompletableFuture::join); // each commit done (or its failure thrown)
            halfSeconds = (System.nanoTime() - halfStart) / 1e9;
            after = threadCpu(); // before the handle closes: its threads' times go with them
            processAfter = processCpu();
        }
        int n = steps - from;
        double commit = Percentile.of(commitMs, 50);
        double copy = Percentile.of(copyMs, 50);
        System.out.printf(Locale.ROOT, "# %s, %s MLP, %.2f MB per checkpoint; steps %d..%d of %d%n", dtype.name(), Arrays.toString(sizes),
                bytes / 1e6, from, steps - 1, steps);
        System.out.printf(Locale.ROOT, "%s median %.2f ms (%.0f MB/s), p10 %.2f, p90 %.2f; Files.copy + fsync median %.2f ms (%.0f MB/s)%n",
                async ? "commitTensorsAsync (the loop's wait: copy and queue)" : "commit", commit, bytes / 1e3 / commit,
                Percentile.of(commitMs, 10), Percentile.of(commitMs, 90), copy, bytes / 1e3 / copy);
        System.out.printf(Locale.ROOT, "steps %d..%d: %.1f ms of wall time per step, training, baselines and commits (all committed)%n",
                from, steps - 1, halfSeconds * 1e3 / (steps - from));
        System.out.printf(Locale.ROOT, "calling thread's CPU inside the commits: %.1f ms per commit (training: %.1f ms wall per step)%n",
                callerCpu / 1e6 / n, trainSeconds * 1e3 / n);
        int run = RepositoryConfig.DEFAULT_DELTA_RUN;
        StringBuilder byPlace = new StringBuilder("by place in a run of " + run + " (commit / calling thread's CPU, medians, ms):");
        for (int k = 0; k < run; k++) {
            List<Double> w = new ArrayList<>();
            List<Double> c = new ArrayList<>();
            for (int s = from; s < steps; s++) {
                if (s % run == k) {
                    w.add(commitMs[s - from]);
                    c.add(cpuMs[s - from]);
                }
            }
            if (!w.isEmpty()) {
                byPlace.append(String.format(Locale.ROOT, " %d: %.1f / %.1f", k, median(w), median(c)));
            }
        }
        System.out.println(byPlace);
        System.out.println("CPU per step by thread (ms; the calling thread's includes its training and the baselines):");
        long named = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                named += d;
                System.out.printf(Locale.ROOT, "  %-16s %7.1f%n", e.getKey(), d / 1e6 / n);
            }
        }
        System.out.printf(Locale.ROOT, "  %-16s %7.1f%n", "threads that ended", Math.max(0, processAfter - processBefore - named) / 1e6 / n);
        System.out.printf(Locale.ROOT, "  %-16s %7.1f%n", "process", (processAfter - processBefore) / 1e6 / n);
    }

    /** CPU nanoseconds of this process's threads so far, summed by name (digits folded, as the kernel's 15 characters). */
    private static Map<String, Long> threadCpu() throws IOException {
        Map<String, Long> out = new TreeMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        long tickNanos = 10_000_000L; // USER_HZ 100, as on every Linux this runs on
        try (var list = Files.list(tasks)) {
            for (Path t : list.toList()) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "N");
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tickNanos, Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
