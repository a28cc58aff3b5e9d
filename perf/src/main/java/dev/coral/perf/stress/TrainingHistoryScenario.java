package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.RepositoryStats;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.StoredTensor;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Scenario 1: an MLP trained step by step on a generated task, every step committed through the
 * Java API ({@code commitTensors}, as a training loop calls it) into two repositories: one fp32, one BF16
 * (top 2 bytes of each weight); and the fp32 weights as opt-in lossy commits at two error bounds
 * ({@link LossyHistory}). Beside Coral: Files.copy + fsync, SHA-256 and zstd -3 / -19 of
 * each checkpoint, and the offline bound (each checkpoint XOR its predecessor, byte planes,
 * zstd -19, computed here with the codec at level 19).
 */
public final class TrainingHistoryScenario implements Scenario {
    private static final String PATH = "model.safetensors";

    @Override
    public String id() {
        return "training";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        Scale sc = ctx.scale();
        int n = sc.trainSteps();
        Mlp net = new Mlp(new int[] {sc.mlpIn(), sc.mlpHidden(), sc.mlpHidden(), 16}, 7);
        ScenarioReport rep = new ScenarioReport(id(), "Training history");
        // zstd -19 and the level-19 bound are slow (~2-5 MB/s): run them on at most this many checkpoints.
        int zstd19Every = Math.max(1, n / 20);
        int boundEvery = Math.max(1, n / 40);
        Variant[] variants = {
            new Variant("fp32", DType.F32, ctx.dir("training-fp32"), n),
            new Variant("bf16", DType.BF16, ctx.dir("training-bf16"), n)
        };
        LossyHistory[] lossy = {
            new LossyHistory("1e-4", ctx.dir("training-lossy-1e-4")),
            new LossyHistory("1e-5", ctx.dir("training-lossy-1e-5"))
        };
        double[] loss = new double[n];
        SplittableRandom data = new SplittableRandom(1234);
        long trainNanos = 0;
        try {
            for (int step = 0; step < n; step++) {
                long t0 = System.nanoTime();
                loss[step] = net.adamStep(data, 16, 1e-3f);
                trainNanos += System.nanoTime() - t0;
                for (Variant v : variants) {
                    v.commit(step, net, loss[step], step % zstd19Every == 0, step == 0 || step % boundEvery == 0);
                }
                for (LossyHistory l : lossy) {
                    l.commit(step, net);
                }
                if ((step + 1) % Math.max(1, n / 10) == 0) {
                    Context.log("training: step %d/%d, loss %.4f, fp32 commit %.1f ms", step + 1, n, loss[step],
                            variants[0].commitSeconds[step] * 1e3);
                }
            }
            for (Variant v : variants) {
                v.finish();
            }
            for (LossyHistory l : lossy) {
                l.finish();
            }
        } finally {
            for (Variant v : variants) {
                v.repo.close();
            }
            for (LossyHistory l : lossy) {
                l.close();
            }
        }
        long raw = variants[0].base.bytes / n;
        rep.summary(String.format(java.util.Locale.ROOT,
                "A %s network (%s parameters, %s per fp32 checkpoint) trained by Adam (lr 1e-3) for %d steps on targets from a fixed "
                        + "random teacher network (loss %.4f at step 1, %.4f at step %d); every step committed with "
                        + "`commitTensors` (one step: until 2026-11-30 `stageTensors` + `commit`). Training itself took %.1f s.",
                Arrays.toString(new int[] {sc.mlpIn(), sc.mlpHidden(), sc.mlpHidden(), 16}), Fmt.i(net.parameterCount()),
                Fmt.mb(raw), n, loss[0], loss[n - 1], n, trainNanos / 1e9));
        Table t = rep.table(new Table("Storage and speed (MB = 10^6 bytes; ratio = raw / stored)",
                "figure", "fp32", "bf16", "baseline (same run, same bytes)"));
        Variant f = variants[0];
        Variant h = variants[1];
        t.row("raw bytes of all checkpoints", Fmt.mb(f.base.bytes), Fmt.mb(h.base.bytes), "");
        t.row("Coral stored (repo.stats: chunks + objects)", Fmt.mb(f.stats.storedBytes()), Fmt.mb(h.stats.storedBytes()), "");
        t.row("Coral .coral folder on disk", Fmt.mb(f.diskBytes), Fmt.mb(h.diskBytes), "");
        t.row("**Coral ratio** (raw / stored)", Fmt.ratio(f.ratio()), Fmt.ratio(h.ratio()), "");
        t.row("zstd -3 of each checkpoint", Fmt.ratio(f.base.zstd3Ratio()), Fmt.ratio(h.base.zstd3Ratio()), "naive compressor");
        t.row("zstd -19 of each checkpoint (every " + zstd19Every + "th)", Fmt.ratio(f.base.zstd19Ratio()), Fmt.ratio(h.base.zstd19Ratio()), "naive compressor, slow");
        t.row("offline bound: XOR previous + planes + zstd -19" + (boundEvery > 1 ? " (every " + boundEvery + "th step, extrapolated)" : ""),
                Fmt.ratio(f.boundRatio()), Fmt.ratio(h.boundRatio()), "what a delta store could reach");
        t.row("Coral ratio / offline bound", Fmt.f(f.ratio() / f.boundRatio()), Fmt.f(h.ratio() / h.boundRatio()), "1.0 = at the bound");
        t.row("**commit MB/s** (commitTensors)", Fmt.mbps(f.base.bytes, f.totalCommit()), Fmt.mbps(h.base.bytes, h.totalCommit()), "");
        t.row("commit ms, median / p99", Fmt.f(f.commitMs(0.5)) + " / " + Fmt.f(f.commitMs(0.99)), Fmt.f(h.commitMs(0.5)) + " / " + Fmt.f(h.commitMs(0.99)), "");
        t.row("Files.copy + fsync MB/s", Fmt.f(f.base.copyMBps()), Fmt.f(h.base.copyMBps()), "disk limit");
        t.row("SHA-256 MB/s", Fmt.f(f.base.hashMBps()), Fmt.f(h.base.hashMBps()), "hash limit");
        t.row("zstd -3 MB/s", Fmt.f(f.base.zstd3MBps()), Fmt.f(h.base.zstd3MBps()), "");
        t.row("`log` of all " + n + " commits", Fmt.ms(f.logSeconds), Fmt.ms(h.logSeconds), "");
        t.row("`stats` (per commit)", Fmt.ms(f.statsSeconds), Fmt.ms(h.statsSeconds), "");
        t.row("delta chunks / keyframe chunks", f.stats.deltaChunks() + " / " + f.stats.keyframeChunks(), h.stats.deltaChunks() + " / " + h.stats.keyframeChunks(), "");
        Table c = rep.table(new Table("Reading a commit back cold (a fresh repository handle: no chunks cached in memory; all tensors, verified against the SHA-256 taken at commit time); best of 3 passes over all the depths (the first compiles the decoders), then one checkout each",
                "depth (HEAD~d)", "fp32 read ms", "fp32 MB/s", "bf16 read ms", "bf16 MB/s", "fp32 checkout (writes the file) ms"));
        for (int i = 0; i < f.depths.size(); i++) {
            int d = f.depths.get(i);
            c.row(d == 0 ? "0 (HEAD)" : String.valueOf(d), Fmt.f(f.readSeconds[i] * 1e3), Fmt.mbps(f.checkpointBytes, f.readSeconds[i]),
                    Fmt.f(h.readSeconds[i] * 1e3), Fmt.mbps(h.checkpointBytes, h.readSeconds[i]),
                    Double.isNaN(f.checkoutSeconds[i]) ? "" : Fmt.f(f.checkoutSeconds[i] * 1e3));
        }
        Table lt = rep.table(new Table("Opt-in lossy commits of the same fp32 checkpoints (`commitTensors` with --lossy=EPS; "
                + "each commit read back and compared with the weights it was given)",
                "figure", "--lossy=" + lossy[0].eps, "--lossy=" + lossy[1].eps, "baseline (same run, same weights)"));
        lt.row("**stored ratio** (raw / stored)", Fmt.ratio(lossy[0].ratio()), Fmt.ratio(lossy[1].ratio()), "lossless " + Fmt.ratio(f.ratio()));
        lt.row("largest error of any element read back", String.format(java.util.Locale.ROOT, "%.3g", lossy[0].maxError),
                String.format(java.util.Locale.ROOT, "%.3g", lossy[1].maxError), "the bound: EPS");
        lt.row("commit MB/s", Fmt.f(lossy[0].commitMBps()), Fmt.f(lossy[1].commitMBps()), "lossless " + Fmt.f(f.base.bytes / 1e6 / f.totalCommit()));
        lt.row("packs on disk / stored", Fmt.mb(lossy[0].diskBytes) + " / " + Fmt.mb(lossy[0].storedBytes),
                Fmt.mb(lossy[1].diskBytes) + " / " + Fmt.mb(lossy[1].storedBytes), "no lossless copy is left behind");
        rep.note("zstd -19 ran on every " + zstd19Every + "th checkpoint only (it runs at a few MB/s); its ratio is over those.");
        if (boundEvery > 1) {
            rep.note("The offline bound was computed on every " + boundEvery + "th step and extrapolated to all steps (mean delta size).");
        }
        rep.note("Files.copy is followed by an fsync of the copy, as Coral fsyncs each commit; both are on the same disk.");
        int last = f.depths.size() - 1;
        rep.headline("fp32: stored ratio (raw / stored), " + n + " commits", Fmt.ratio(f.ratio()),
                "zstd -3 " + Fmt.ratio(f.base.zstd3Ratio()) + ", zstd -19 " + Fmt.ratio(f.base.zstd19Ratio()) + ", offline bound " + Fmt.ratio(f.boundRatio()));
        rep.headline("bf16: stored ratio", Fmt.ratio(h.ratio()),
                "zstd -3 " + Fmt.ratio(h.base.zstd3Ratio()) + ", zstd -19 " + Fmt.ratio(h.base.zstd19Ratio()) + ", offline bound " + Fmt.ratio(h.boundRatio()));
        rep.headline("fp32: commit MB/s", Fmt.f(f.base.bytes / 1e6 / f.totalCommit()),
                "Files.copy+fsync " + Fmt.f(f.base.copyMBps()) + ", SHA-256 " + Fmt.f(f.base.hashMBps()));
        rep.headline("fp32: read commit at depth " + f.depths.get(last) + " vs HEAD", Fmt.ms(f.readSeconds[last]),
                "HEAD " + Fmt.ms(f.readSeconds[0]));
        rep.headline("`log` of " + n + " commits", Fmt.ms(f.logSeconds), "");
        rep.headline("fp32 lossy --lossy=" + lossy[0].eps + " / " + lossy[1].eps + ": stored ratio",
                Fmt.ratio(lossy[0].ratio()) + " / " + Fmt.ratio(lossy[1].ratio()), "lossless " + Fmt.ratio(f.ratio()));
        charts(ctx, rep, variants, loss);
        for (Variant v : variants) {
            rep.figure(v.name, v.figures());
        }
        rep.figure("loss", loss);
        for (LossyHistory l : lossy) {
            rep.figure("lossy_" + l.eps, Map.of("ratio", l.ratio(), "max_error", l.maxError, "commit_mb_per_s", l.commitMBps(),
                    "stored_bytes", l.storedBytes, "pack_bytes", l.diskBytes));
        }
        return rep;
    }

    private static void charts(Context ctx, ScenarioReport rep, Variant[] variants, double[] loss) throws IOException {
        int n = loss.length;
        double[] steps = new double[n];
        for (int i = 0; i < n; i++) {
            steps[i] = i + 1;
        }
        List<Charts.Series> stored = new ArrayList<>();
        for (Variant v : variants) {
            stored.add(Charts.Series.line(v.name + " raw", steps, mb(v.cumRaw)));
            stored.add(Charts.Series.line(v.name + " zstd -3 each", steps, mb(v.cumZstd3)));
            stored.add(Charts.Series.line(v.name + " Coral", steps, mb(v.cumCoral)));
            stored.add(Charts.Series.line(v.name + " offline bound", steps, mb(v.cumBound)));
        }
        Charts.xy(ctx.out(), "training-stored.png", "Stored bytes vs commit number (log scale)", "commit", "cumulative MB", true, stored);
        rep.chart("training-stored.png", "Stored bytes after each commit: raw checkpoints, zstd -3 of each, Coral (repo.stats), offline bound.");
        List<Charts.Series> times = new ArrayList<>();
        for (Variant v : variants) {
            times.add(Charts.Series.points(v.name + " commit", steps, ms(v.commitSeconds)));
        }
        times.add(Charts.Series.points("fp32 Files.copy+fsync (baseline)", steps, ms(variants[0].copySeconds)));
        Charts.xy(ctx.out(), "training-commit-time.png", "Commit time vs commit number", "commit", "ms", false, times);
        rep.chart("training-commit-time.png", "Time of each commitTensors, beside Files.copy + fsync of the same checkpoint.");
        List<Charts.Series> reads = new ArrayList<>();
        for (Variant v : variants) {
            double[] d = v.depths.stream().mapToDouble(x -> x).toArray();
            reads.add(Charts.Series.line(v.name + " read all tensors", d, ms(v.readSeconds)));
        }
        Charts.xy(ctx.out(), "training-checkout-depth.png", "Checkout time vs depth (HEAD~d)", "depth d", "ms (best of 3)", false, reads);
        rep.chart("training-checkout-depth.png", "Reading every tensor of HEAD~d: flat means old commits cost what HEAD costs.");
        Charts.xy(ctx.out(), "training-loss.png", "Training loss (the task is learnable)", "step", "mean squared error", true,
                List.of(Charts.Series.line("loss", steps, loss)));
        rep.chart("training-loss.png", "Loss of the trained network: the checkpoints come from real learning, not noise.");
    }

    private static double[] mb(double[] bytes) {
        return Arrays.stream(bytes).map(b -> b / 1e6).toArray();
    }

    private static double[] ms(double[] s) {
        return Arrays.stream(s).map(x -> x * 1e3).toArray();
    }

    /** One repository of the run: fp32 or BF16 checkpoints. */
    private static final class Variant {
        final String name;
        final DType dtype;
        final Repository repo;
        final Baselines base;
        final int n;
        final double[] commitSeconds;
        final double[] copySeconds;
        final double[] cumRaw;
        final double[] cumZstd3;
        final double[] cumCoral;
        final double[] cumBound;
        final byte[][] sha;
        Map<String, byte[]> previous;
        long boundFirst;
        long boundDeltaBytes;
        int boundDeltas;
        long checkpointBytes;
        double logSeconds;
        double statsSeconds;
        long diskBytes;
        RepositoryStats stats;
        List<Integer> depths;
        double[] readSeconds;
        double[] checkoutSeconds;
        final Path dir;

        Variant(String name, DType dtype, Path dir, int n) throws IOException {
            this.name = name;
            this.dtype = dtype;
            this.dir = dir;
            this.n = n;
            this.repo = Repository.init(dir.resolve("repo"));
            this.base = new Baselines(dir);
            commitSeconds = new double[n];
            copySeconds = new double[n];
            cumRaw = new double[n];
            cumZstd3 = new double[n];
            cumCoral = new double[n];
            cumBound = new double[n];
            sha = new byte[n][];
        }

        void commit(int step, Mlp net, double loss, boolean zstd19, boolean bound) throws IOException {
            Map<String, byte[]> w = new java.util.LinkedHashMap<>();
            List<TensorSource> list = new ArrayList<>();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
                byte[] b = dtype == DType.F32 ? Mlp.fp32(e.getValue()) : Mlp.bf16(e.getValue());
                w.put(e.getKey(), b);
                list.add(Tensors.of(e.getKey(), TensorSpec.of(dtype, net.shapeOf(e.getKey())), b));
                all.writeBytes(b);
            }
            byte[] concat = all.toByteArray();
            checkpointBytes = concat.length;
            sha[step] = Baselines.sha256().digest(concat);
            long t0 = System.nanoTime();
            repo.commitTensors(PATH, list, Map.of(),
                    CommitRequest.of("step " + step).withMetrics(Map.of("loss", String.valueOf(loss), "step", String.valueOf(step))));
            commitSeconds[step] = (System.nanoTime() - t0) / 1e9;
            double copyBefore = base.copySeconds;
            long z3Before = base.zstd3Bytes;
            base.measure(concat, zstd19);
            copySeconds[step] = base.copySeconds - copyBefore;
            cumRaw[step] = (step == 0 ? 0 : cumRaw[step - 1]) + concat.length;
            cumZstd3[step] = (step == 0 ? 0 : cumZstd3[step - 1]) + (base.zstd3Bytes - z3Before);
            int width = dtype.byteSize(1) == 2 ? 2 : 4;
            double add;
            if (step == 0) {
                for (byte[] b : w.values()) {
                    boundFirst += Baselines.xorPlanesZstd19(b, null, width);
                }
                add = boundFirst;
            } else if (bound) {
                long sum = 0;
                for (Map.Entry<String, byte[]> e : w.entrySet()) {
                    byte[] b = e.getValue();
                    sum += Baselines.xorPlanesZstd19(b, previous.get(e.getKey()), width);
                }
                boundDeltaBytes += sum;
                boundDeltas++;
                add = sum;
            } else {
                add = boundDeltas == 0 ? boundFirst : (double) boundDeltaBytes / boundDeltas;
            }
            cumBound[step] = (step == 0 ? 0 : cumBound[step - 1]) + add;
            previous = w;
        }

        void finish() throws IOException {
            long t0 = System.nanoTime();
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            logSeconds = (System.nanoTime() - t0) / 1e9;
            if (log.size() != n) {
                throw new IllegalStateException(name + ": log shows " + log.size() + " commits, " + n + " were made");
            }
            t0 = System.nanoTime();
            stats = repo.stats(false, true);
            statsSeconds = (System.nanoTime() - t0) / 1e9;
            diskBytes = Files2.sizeOf(repo.root().resolve(".coral"));
            List<RepositoryStats.CommitStats> hist = stats.history();
            double cum = 0;
            for (int i = 0; i < n && i < hist.size(); i++) {
                cum += hist.get(i).newStoredBytes();
                cumCoral[i] = cum;
            }
            TreeSet<Integer> ds = new TreeSet<>(List.of(0, n / 2, n - 1));
            for (int d = 1; d < n; d *= 2) {
                ds.add(d);
            }
            depths = new ArrayList<>(ds);
            readSeconds = new double[depths.size()];
            Arrays.fill(readSeconds, Double.MAX_VALUE);
            checkoutSeconds = new double[depths.size()];
            byte[] buf = new byte[1 << 16];
            // Three passes over all the depths, the best of each depth's three reads kept: the
            // first pass compiles the decoders, whichever depth it reads first (until 2026-12-01
            // each depth was read three times in a row, HEAD first, so HEAD's figure held the
            // JIT's warm-up: 13.8 ms against 1.0 for HEAD~199).
            for (int rep = 0; rep < 3; rep++) {
                for (int i = 0; i < depths.size(); i++) {
                    int d = depths.get(i);
                    String rev = log.get(d).id().hex();
                    // A fresh handle each time: its cache of recently decoded chunks starts empty,
                    // so every read decodes its whole chain (the same handle would serve repeats
                    // from memory).
                    try (Repository cold = Repository.open(dir.resolve("repo"))) {
                        long s = System.nanoTime();
                        MessageDigest md = Baselines.sha256();
                        for (StoredTensor t : cold.tensors(rev, PATH)) {
                            try (InputStream in = t.openStream()) {
                                for (int k; (k = in.read(buf)) > 0; ) {
                                    md.update(buf, 0, k);
                                }
                            }
                        }
                        readSeconds[i] = Math.min(readSeconds[i], (System.nanoTime() - s) / 1e9);
                        if (!Arrays.equals(md.digest(), sha[n - 1 - d])) {
                            throw new IllegalStateException(name + ": HEAD~" + d + " reads back different bytes than were committed");
                        }
                    }
                }
            }
            for (int i = 0; i < depths.size(); i++) {
                int d = depths.get(i);
                checkoutSeconds[i] = Double.NaN;
                if (d == 1 || d == n / 2 || d == n - 1 || d == 0) {
                    long s = System.nanoTime();
                    repo.checkout(log.get(d).id().hex(), true);
                    checkoutSeconds[i] = (System.nanoTime() - s) / 1e9;
                }
            }
        }

        double totalCommit() {
            return Arrays.stream(commitSeconds).sum();
        }

        double commitMs(double q) {
            double[] s = commitSeconds.clone();
            Arrays.sort(s);
            return s[Math.min(s.length - 1, (int) (q * s.length))] * 1e3;
        }

        double ratio() {
            return (double) base.bytes / stats.storedBytes();
        }

        double boundRatio() {
            return base.bytes / cumBound[n - 1];
        }

        Map<String, Object> figures() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("raw_bytes", base.bytes);
            m.put("stored_bytes", stats.storedBytes());
            m.put("disk_bytes", diskBytes);
            m.put("ratio", ratio());
            m.put("zstd3_ratio", base.zstd3Ratio());
            m.put("zstd19_ratio", base.zstd19Ratio());
            m.put("offline_bound_ratio", boundRatio());
            m.put("commit_mb_per_s", base.bytes / 1e6 / totalCommit());
            m.put("copy_fsync_mb_per_s", base.copyMBps());
            m.put("sha256_mb_per_s", base.hashMBps());
            m.put("log_seconds", logSeconds);
            m.put("stats_seconds", statsSeconds);
            m.put("depths", depths);
            m.put("read_seconds", readSeconds);
            m.put("commit_seconds", commitSeconds);
            m.put("cumulative_coral_bytes", cumCoral);
            return m;
        }
    }
}
