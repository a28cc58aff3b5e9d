package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Scenario 5: many consecutive small commits in one JVM (one open repository); heap in use after
 * forced GC sampled at ten points; the least-squares slope in MB per 100 commits should be ~0.
 * Baseline: the same loop writing the same bytes to a file (write + fsync) instead of committing.
 */
public final class MemoryStabilityScenario implements Scenario {
    private static final int TENSORS = 4;
    private static final int FLOATS = 16 * 1024;

    @Override
    public String id() {
        return "memory";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Memory stability");
        int n = ctx.scale().memoryCommits();
        int every = Math.max(1, n / 10);
        Path dir = ctx.dir("memory");
        List<double[]> coral = new ArrayList<>();
        double[] commitMs = new double[n];
        long filesBefore = openFiles();
        long[] filesAt = {filesBefore, filesBefore}; // most, last
        try (Repository repo = Repository.init(dir.resolve("repo"))) {
            loop(n, every, coral, (i, w) -> {
                List<TensorSource> ts = new ArrayList<>();
                for (int k = 0; k < w.length; k++) {
                    ts.add(Tensors.of("t" + k, TensorSpec.of(DType.F32, FLOATS), Mlp.fp32(w[k])));
                }
                long t0 = System.nanoTime();
                repo.stageTensors("m.safetensors", ts, Map.of());
                repo.commit(CommitRequest.of("commit " + i));
                commitMs[i] = (System.nanoTime() - t0) / 1e6;
                if ((i + 1) % every == 0) {
                    filesAt[1] = openFiles();
                    filesAt[0] = Math.max(filesAt[0], filesAt[1]);
                }
            });
        }
        List<double[]> base = new ArrayList<>();
        Path file = dir.resolve("baseline.bin");
        loop(n, every, base, (i, w) -> {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (float[] f : w) {
                all.writeBytes(Mlp.fp32(f));
            }
            Files.write(file, all.toByteArray());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        });
        double[] x = coral.stream().mapToDouble(p -> p[0]).toArray();
        double[] y = coral.stream().mapToDouble(p -> p[1] / 1e6).toArray();
        double[] bx = base.stream().mapToDouble(p -> p[0]).toArray();
        double[] by = base.stream().mapToDouble(p -> p[1] / 1e6).toArray();
        double slope = Charts.slope(x, y) * 100;
        double baseSlope = Charts.slope(bx, by) * 100;
        // Coral keeps recently written chunks for the next version's delta base (about one version,
        // at most 1/8 of the heap): while that cache fills the heap rises; a leak keeps rising after.
        int half = x.length / 2;
        double lateSlope = Charts.slope(java.util.Arrays.copyOfRange(x, half, x.length), java.util.Arrays.copyOfRange(y, half, y.length)) * 100;
        Table t = rep.table(new Table(n + " consecutive commits of a 4 x 64 KB fp32 model in one JVM; heap in use after System.gc() every " + every + " commits",
                "figure", "Coral commits", "baseline: same bytes to a file (write + fsync)"));
        t.row("**heap slope, MB per 100 commits**", Fmt.f(slope), Fmt.f(baseSlope));
        t.row("heap slope over the second half (after the bounded recent-chunks cache has filled)", Fmt.f(lateSlope), "");
        t.row("heap after GC at start / end", Fmt.f(y[0]) + " / " + Fmt.f(y[y.length - 1]) + " MB", Fmt.f(by[0]) + " / " + Fmt.f(by[by.length - 1]) + " MB");
        double firstTenth = avg(commitMs, 0, every);
        double lastTenth = avg(commitMs, n - every, n);
        t.row("commit time, first / last " + every + " commits", Fmt.f(firstTenth) + " / " + Fmt.f(lastTenth) + " ms", "");
        String files = filesBefore < 0 ? "not counted (no /proc/self/fd)"
                : filesBefore + " before / " + filesAt[1] + " after the last commit (most " + filesAt[0] + ")";
        t.row("open files of the process (the handle writes " + 2 * n + " packs)", files,
                "a store keeps a bounded number of pack files open (OpenPacks); until 2026-12-01 one per pack");
        Charts.xy(ctx.out(), "memory-heap.png", "Heap after GC over consecutive commits", "commits", "MB in use after System.gc()", false,
                List.of(Charts.Series.line("Coral commits", x, y), Charts.Series.line("baseline: file write + fsync", bx, by)));
        rep.chart("memory-heap.png", "Heap in use after forced GC, sampled every " + every + " commits: flat means nothing accumulates.");
        double[] steps = new double[n];
        for (int i = 0; i < n; i++) {
            steps[i] = i + 1;
        }
        Charts.xy(ctx.out(), "memory-commit-time.png", "Commit time over consecutive commits", "commit", "ms", false,
                List.of(Charts.Series.points("Coral commit", steps, commitMs)));
        rep.chart("memory-commit-time.png", "Time of each small commit: a rising trend means per-commit work grows with history (packs, refs).");
        rep.note("The heap is the whole JVM's (the runner shares it with Maven under exec:java); the baseline loop shows its noise floor.");
        rep.headline("heap slope over " + n + " commits (MB / 100 commits)", Fmt.f(slope), "file-write loop " + Fmt.f(baseSlope));
        rep.headline("small commit time, first / last " + every, Fmt.f(firstTenth) + " / " + Fmt.f(lastTenth) + " ms", "");
        rep.headline("heap slope, second half of the commits (MB / 100 commits)", Fmt.f(lateSlope), "");
        rep.figure("open_files_before", filesBefore);
        rep.figure("open_files_after", filesAt[1]);
        rep.figure("open_files_most", filesAt[0]);
        rep.figure("slope_mb_per_100", slope);
        rep.figure("late_slope_mb_per_100", lateSlope);
        rep.figure("baseline_slope_mb_per_100", baseSlope);
        rep.figure("heap_mb", y);
        rep.figure("commit_ms", commitMs);
        return rep;
    }

    /** Open file descriptors of this process, or -1 where /proc/self/fd does not exist. */
    private static long openFiles() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        try (var s = Files.list(fds)) {
            return s.count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static double avg(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s / (to - from);
    }

    interface Step {
        void run(int i, float[][] w) throws Exception;
    }

    private static void loop(int n, int every, List<double[]> samples, Step step) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        float[][] w = new float[TENSORS][];
        for (int k = 0; k < TENSORS; k++) {
            w[k] = Mlp.gaussian(r, FLOATS, 0.05f);
        }
        samples.add(new double[] {0, ChildJvm.heapAfterGc()});
        for (int i = 0; i < n; i++) {
            for (float[] f : w) {
                for (int j = 0; j < f.length; j += 7) {
                    f[j] -= 1e-4f * (float) (r.nextDouble() - 0.5);
                }
            }
            step.run(i, w);
            if ((i + 1) % every == 0) {
                samples.add(new double[] {i + 1, ChildJvm.heapAfterGc()});
            }
        }
    }
}
