package dev.coral.perf.stress;

import com.github.luben.zstd.Zstd;
import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Scenario: checkpoint throughput on files the size of real layers. A wide MLP (19 MB small, 84 MB
 * default, 201 MB large per fp32 checkpoint) trained by Adam for a few steps; each checkpoint is
 * written as a safetensors file and committed the way the command line does it
 * ({@code repo.commit(request, paths)}), into two repositories: one with a single ingest thread,
 * one with the parallel pipeline on every core, so the speed-up is measured, not assumed. Then
 * every commit is checked out (the file written, verified, renamed into place), and exported to a
 * stream (decoded and verified, no disk).
 */
public final class ThroughputScenario implements Scenario {
    private static final int STEPS = 8;
    private static final int WARM_PASSES = CheckoutPasses.WARM_PASSES;

    @Override
    public String id() {
        return "throughput";
    }

    static int[] dims(Scale sc) {
        return switch (sc.name()) {
            case "tiny" -> new int[] {64, 256, 256, 16};
            case "small" -> new int[] {256, 2048, 2048, 16};
            case "large" -> new int[] {2048, 8192, 4096, 16};
            default -> new int[] {1024, 4096, 4096, 16};
        };
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Checkpoint throughput");
        int[] dims = dims(ctx.scale());
        Mlp net = new Mlp(dims, 11);
        Path dir = ctx.dir("throughput");
        int cores = Runtime.getRuntime().availableProcessors();
        int[] threads = {1, cores};
        Path[] roots = new Path[threads.length];
        double[][] commitSeconds = new double[threads.length][STEPS];
        double copySeconds = 0;
        double writeSeconds = 0;
        double shaSeconds = 0;
        double zstdSeconds = 0;
        long zstdBytes = 0;
        long fileBytes = 0;
        byte[][] fileSha = new byte[STEPS][];
        SplittableRandom data = new SplittableRandom(99);
        for (int k = 0; k < threads.length; k++) {
            roots[k] = dir.resolve("repo-" + threads[k] + "-threads");
            Repository.init(roots[k]).close();
        }
        // BF16 copies of the same checkpoints (each fp32 weight's top two bytes), committed as
        // files the way the command line does it: BF16 deltas are zigzag differences, which
        // cannot be undone (a step back decodes the chain), and each element is half the bytes
        Path bf16Root = dir.resolve("repo-bf16");
        Repository.init(bf16Root).close();
        // and with XOR deltas only (coral config codec.zigzag false): larger, but a step back undoes one delta
        Path bf16XorRoot = dir.resolve("repo-bf16-xor");
        try (Repository r = Repository.init(bf16XorRoot)) {
            r.setConfig("codec.zigzag", "false");
        }
        byte[][] bf16Sha = new byte[STEPS][];
        double[] bf16CommitSeconds = new double[STEPS];
        long bf16Bytes = 0;
        long bf16PlanesZstdBytes = 0;
        // a training loop's view: one handle kept open across commits, so the chunks it wrote stay
        // at hand as the next version's bases (the recent-chunks cache)
        Path keptRoot = dir.resolve("repo-kept-open");
        Repository.init(keptRoot).close();
        double[] keptSeconds = new double[STEPS];
        // the same with the checkpoint handed over as tensors (commitTensors), as a training loop
        // on the Java API does: no file to write or read
        Path tensorsRoot = dir.resolve("repo-kept-tensors");
        Repository.init(tensorsRoot).close();
        double[] tensorsSeconds = new double[STEPS];
        // and through commitTensorsAsync: how long the loop waits (the copy), and when the commit is done; each
        // commit is waited for before the step's other figures, so that it runs alone as the others do
        Path asyncRoot = dir.resolve("repo-kept-async");
        Repository.init(asyncRoot).close();
        double[] asyncWaitSeconds = new double[STEPS];
        double[] asyncDoneSeconds = new double[STEPS];
        try (Repository kept = Repository.open(keptRoot); Repository keptTensors = Repository.open(tensorsRoot);
             Repository keptAsync = Repository.open(asyncRoot)) {
        kept.setIngestThreads(1);
        keptTensors.setIngestThreads(1);
        keptAsync.setIngestThreads(1);
        for (int step = 0; step < STEPS; step++) {
            net.adamStep(data, 2, 1e-3f);
            byte[] bytes = safetensors(net);
            fileBytes = bytes.length;
            long t0 = System.nanoTime();
            Path plain = dir.resolve("plain.safetensors");
            Files.write(plain, bytes);
            writeSeconds += (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            Baselines.copyDurably(plain, dir.resolve("copy.safetensors"));
            copySeconds += (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            fileSha[step] = Baselines.sha256().digest(bytes);
            shaSeconds += (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            zstdBytes += Zstd.compress(bytes, 1).length;
            zstdSeconds += (System.nanoTime() - t0) / 1e9;
            for (int k = 0; k < threads.length; k++) {
                Path file = roots[k].resolve("model.safetensors");
                Files.write(file, bytes);
                try (Repository repo = Repository.open(roots[k])) {
                    repo.setIngestThreads(threads[k]);
                    t0 = System.nanoTime();
                    repo.commit(CommitRequest.of("step " + step), List.of(file));
                    commitSeconds[k][step] = (System.nanoTime() - t0) / 1e9;
                }
            }
            byte[] bf16File = bf16Safetensors(net);
            bf16Bytes = bf16File.length;
            bf16Sha[step] = Baselines.sha256().digest(bf16File);
            bf16PlanesZstdBytes += planesZstd3(bf16File);
            for (Path root : List.of(bf16Root, bf16XorRoot)) {
                Path bf16Path = root.resolve("model.safetensors");
                Files.write(bf16Path, bf16File);
                try (Repository repo = Repository.open(root)) {
                    repo.setIngestThreads(1);
                    t0 = System.nanoTime();
                    repo.commit(CommitRequest.of("step " + step), List.of(bf16Path));
                    if (root.equals(bf16Root)) {
                        bf16CommitSeconds[step] = (System.nanoTime() - t0) / 1e9;
                    }
                }
            }
            Path keptFile = keptRoot.resolve("model.safetensors");
            Files.write(keptFile, bytes);
            t0 = System.nanoTime();
            kept.commit(CommitRequest.of("step " + step), List.of(keptFile));
            keptSeconds[step] = (System.nanoTime() - t0) / 1e9;
            List<TensorSource> tensors = tensors(net);
            t0 = System.nanoTime();
            keptTensors.commitTensors("model.safetensors", tensors, Map.of(), CommitRequest.of("step " + step));
            tensorsSeconds[step] = (System.nanoTime() - t0) / 1e9;
            if (!Arrays.equals(keptTensors.fileAt("HEAD", "model.safetensors").fileSha256(), fileSha[step])) {
                rep.failed("commitTensors of step " + step + " recorded another file than the checkpoint's");
            }
            t0 = System.nanoTime();
            var done = keptAsync.commitTensorsAsync("model.safetensors", tensors, Map.of(), CommitRequest.of("step " + step));
            asyncWaitSeconds[step] = (System.nanoTime() - t0) / 1e9;
            done.join();
            asyncDoneSeconds[step] = (System.nanoTime() - t0) / 1e9;
            if (!Arrays.equals(keptAsync.fileAt("HEAD", "model.safetensors").fileSha256(), fileSha[step])) {
                rep.failed("commitTensorsAsync of step " + step + " recorded another file than the checkpoint's");
            }
            Context.log("throughput: step %d/%d, %s, commit %.0f ms (1 thread) / %.0f ms (%d threads) / %.0f ms (handle kept open)"
                            + " / %.0f ms (commitTensors)",
                    step + 1, STEPS, Fmt.mb(fileBytes), commitSeconds[0][step] * 1e3, commitSeconds[1][step] * 1e3, cores,
                    keptSeconds[step] * 1e3, tensorsSeconds[step] * 1e3);
        }
        }
        long raw = fileBytes * STEPS;
        long stored;
        long cacheBytes;
        CheckoutPasses fp32;
        try (Repository repo = Repository.open(roots[0])) {
            stored = repo.stats(false, false).storedBytes();
            cacheBytes = repo.chunkCacheBytes();
            fp32 = CheckoutPasses.run(repo, "model.safetensors", fileSha, fileBytes, rep, "", dir);
        }
        long bf16Stored;
        CheckoutPasses bf16;
        try (Repository repo = Repository.open(bf16Root)) {
            bf16Stored = repo.stats(false, false).storedBytes();
            bf16 = CheckoutPasses.run(repo, "model.safetensors", bf16Sha, bf16Bytes, rep, "BF16: ", null);
        }
        long bf16XorStored;
        CheckoutPasses bf16Xor;
        try (Repository repo = Repository.open(bf16XorRoot)) {
            bf16XorStored = repo.stats(false, false).storedBytes();
            bf16Xor = CheckoutPasses.run(repo, "model.safetensors", bf16Sha, bf16Bytes, rep, "BF16, XOR deltas only: ", null);
        }
        double[] checkoutSeconds = fp32.first;
        double[] warmCheckoutSeconds = fp32.warm;
        double pageCacheWriteSeconds = fp32.pageCacheWriteSeconds;
        double durableWriteSeconds = fp32.durableWriteSeconds;
        double[] streamSeconds = fp32.export;
        double[] forwardSeconds = fp32.forward;
        double[] coldSeconds = fp32.cold;
        double[] commitMBps = new double[threads.length];
        Table t = rep.table(new Table(String.format(Locale.ROOT, "%d Adam steps of a %s MLP (%s parameters): each checkpoint a %s safetensors "
                        + "file, committed with repo.commit(request, paths); MB = 10^6 bytes", STEPS, Arrays.toString(dims),
                Fmt.i(net.parameterCount()), Fmt.mb(fileBytes)), "figure", "Coral", "baseline (same run, same bytes)"));
        for (int k = 0; k < threads.length; k++) {
            double sum = Arrays.stream(commitSeconds[k]).sum();
            double deltas = Arrays.stream(commitSeconds[k], 1, STEPS).sum();
            commitMBps[k] = raw / 1e6 / sum;
            t.row(String.format(Locale.ROOT, "**commit MB/s**, %d ingest thread%s: all / steps 2-%d (deltas)", threads[k], threads[k] == 1 ? "" : "s", STEPS),
                    Fmt.f(commitMBps[k]) + " / " + Fmt.f(fileBytes * (STEPS - 1) / 1e6 / deltas),
                    k == 0 ? "Files.copy+fsync " + Fmt.mbps(raw, copySeconds) + ", SHA-256 " + Fmt.mbps(raw, shaSeconds) : "");
        }
        t.row("speed-up of " + cores + " ingest threads over 1", Fmt.f(commitMBps[1] / commitMBps[0]) + "x", "");
        double keptDeltas = Arrays.stream(keptSeconds, 1, STEPS).sum();
        double keptWarm = Arrays.stream(keptSeconds, 2, STEPS).sum();
        t.row(String.format(Locale.ROOT, "**commit MB/s**, one handle kept open (a training loop), 1 ingest thread: all / steps 2-%d / steps 3-%d",
                        STEPS, STEPS),
                Fmt.f(raw / 1e6 / Arrays.stream(keptSeconds).sum()) + " / " + Fmt.f(fileBytes * (STEPS - 1) / 1e6 / keptDeltas) + " / "
                        + Fmt.f(fileBytes * (STEPS - 2) / 1e6 / keptWarm),
                "the chunks just written serve as the next bases (up to 1/8 of the heap); step 2 reads its bases from disk, "
                        + "as a process's first commit keeps none");
        t.row(String.format(Locale.ROOT, "**commit MB/s**, the same through commitTensors (tensors in memory): all / steps 2-%d / steps 3-%d",
                        STEPS, STEPS),
                Fmt.f(raw / 1e6 / Arrays.stream(tensorsSeconds).sum()) + " / " + Fmt.f(fileBytes * (STEPS - 1) / 1e6
                        / Arrays.stream(tensorsSeconds, 1, STEPS).sum()) + " / " + Fmt.f(fileBytes * (STEPS - 2) / 1e6
                        / Arrays.stream(tensorsSeconds, 2, STEPS).sum()),
                "the file's header and checksums come from the safetensors writer, on a thread of its own");
        double asyncWait = Percentile.of(Arrays.copyOfRange(asyncWaitSeconds, 2, STEPS), 50);
        double asyncDone = Percentile.of(Arrays.copyOfRange(asyncDoneSeconds, 2, STEPS), 50);
        t.row(String.format(Locale.ROOT, "commitTensorsAsync, steps 3-%d (medians): the loop waits / the commit is done", STEPS),
                Fmt.f(asyncWait * 1e3) + " ms (" + Fmt.mbps(fileBytes, asyncWait) + ") / "
                        + Fmt.f(asyncDone * 1e3) + " ms (" + Fmt.mbps(fileBytes, asyncDone) + ")",
                "the wait is the copy of the tensors; the commit runs on the handle's commit thread while the loop goes on");
        double checkoutAll = Arrays.stream(checkoutSeconds).sum();
        t.row("**checkout MB/s** (file written and verified, renamed into place, the old file freed in the background; on Linux into the page cache,"
                + " elsewhere fsynced first), all commits", Fmt.mbps(raw, checkoutAll),
                "the same bytes into the page cache as a checkout writes them " + Fmt.mbps(raw, pageCacheWriteSeconds)
                        + "; Files.write (8 KiB writes) " + Fmt.mbps(raw, writeSeconds));
        t.row("checkout MB/s by depth (main~d)", CheckoutPasses.byDepth(checkoutSeconds, fileBytes, false), "");
        double warmAll = Arrays.stream(warmCheckoutSeconds).sum();
        t.row("the same checkouts again (decoders compiled; each depth's median of " + WARM_PASSES + " passes): all commits / by depth",
                Fmt.mbps(raw, warmAll) + "; " + CheckoutPasses.byDepth(warmCheckoutSeconds, fileBytes, false),
                "the first pass includes the JIT compiling the decoders; between these checkouts, the same bytes written in 4 MiB writes"
                        + " and renamed over a file (no decoding: the floor of a checkout into the page cache) " + Fmt.mbps(raw, pageCacheWriteSeconds)
                        + ", and written, fsynced and renamed (the floor of a durable checkout, as where there is no boot id) "
                        + Fmt.mbps(raw, durableWriteSeconds));
        t.row("checkout with no file at hand (the file deleted first; the second of two passes): all commits / by depth",
                CheckoutPasses.allAndByDepth(coldSeconds, fileBytes, false),
                "each chunk decoded down its chain from the keyframe, or from the chunk cache (main~0, main~1); the checkouts above"
                        + " start from the file of the commit before, undoing one delta a chunk");
        t.row("checkout forward one step at a time (main~d from main~(d+1)'s file, oldest first; the second of two passes): all / by depth",
                CheckoutPasses.allAndByDepth(forwardSeconds, fileBytes, true),
                "the checkouts above go backward (main~d from main~(d-1)'s file): the file's deltas undone; forward, each chunk's"
                        + " chain runs through the file's chunk, and only the deltas above it are decoded");
        t.row("**export to a stream** MB/s (export -o -: the file as committed, each chunk SHA-256-checked, no disk): all / by depth",
                CheckoutPasses.allAndByDepth(streamSeconds, fileBytes, false),
                "the same bytes into the page cache as a checkout writes them " + Fmt.mbps(raw, pageCacheWriteSeconds)
                        + "; a checkout writes these bytes into the page cache (Linux)");
        t.row("stored / ratio", Fmt.mb(stored) + " / " + Fmt.ratio((double) raw / stored),
                "zstd -1 of each file: " + Fmt.ratio((double) raw / zstdBytes) + " at " + Fmt.mbps(raw, zstdSeconds));
        t.row("chunk cache (.coral/cache/chunks, not in the ratio)", Fmt.mb(cacheBytes),
                "raw copies of the two newest versions' delta chunks: the next commit's bases, and main~0's and main~1's checkouts");
        long bf16Raw = bf16Bytes * STEPS;
        Table b = rep.table(new Table(String.format(Locale.ROOT, "BF16 copies of the same %d checkpoints (each weight's top two bytes): a %s"
                + " safetensors file each, committed with repo.commit(request, paths), 1 ingest thread", STEPS, Fmt.mb(bf16Bytes)),
                "figure", "Coral", "baseline (same run, same bytes)"));
        b.row("**commit MB/s**: all / steps 2-" + STEPS + " (deltas)", Fmt.f(bf16Raw / 1e6 / Arrays.stream(bf16CommitSeconds).sum()) + " / "
                + Fmt.f(bf16Bytes * (STEPS - 1) / 1e6 / Arrays.stream(bf16CommitSeconds, 1, STEPS).sum()), "");
        b.row("stored / ratio", Fmt.mb(bf16Stored) + " / " + Fmt.ratio((double) bf16Raw / bf16Stored),
                "byte planes + zstd -3 of each file alone: " + Fmt.ratio((double) bf16Raw / bf16PlanesZstdBytes));
        b.row("**checkout MB/s**, backward from the commit before's file (first pass / each depth's median of " + WARM_PASSES
                        + " more): all; by depth", Fmt.mbps(bf16Raw, Arrays.stream(bf16.first).sum()) + " / "
                        + CheckoutPasses.allAndByDepth(bf16.warm, bf16Bytes, false),
                "a zigzag delta cannot be undone on the file's bytes: each chunk is decoded from its keyframe (or main~1's cached copy"
                        + " for main~0), so the cost grows with the depth in the chain (~7 is the keyframe)");
        b.row("checkout forward one step at a time (the second of two passes): all; by depth", CheckoutPasses.allAndByDepth(bf16.forward, bf16Bytes,
                true), "one delta a chunk applied to the file's bytes");
        b.row("checkout with no file at hand (the second of two passes): all; by depth", CheckoutPasses.allAndByDepth(bf16.cold, bf16Bytes, false),
                "");
        b.row("export to a stream: all; by depth", CheckoutPasses.allAndByDepth(bf16.export, bf16Bytes, false), "");
        b.row("with XOR deltas only (coral config codec.zigzag false): stored / ratio", Fmt.mb(bf16XorStored) + " / "
                + Fmt.ratio((double) bf16Raw / bf16XorStored), "the same checkpoints, the default (zigzag) layout: " + Fmt.mb(bf16Stored));
        b.row("with XOR deltas only: checkout backward (each depth's median of " + WARM_PASSES + " warm passes): all; by depth",
                CheckoutPasses.allAndByDepth(bf16Xor.warm, bf16Bytes, false), "a step back undoes one XOR delta on the file's bytes");
        b.row("with XOR deltas only: forward; no file at hand: all", Fmt.mbps(bf16Bytes * (STEPS - 1), Arrays.stream(bf16Xor.forward).sum())
                + "; " + CheckoutPasses.allAndByDepth(bf16Xor.cold, bf16Bytes, false), "");
        rep.note("Each commit opens the repository afresh (as a command would) but runs in this JVM: the JIT is warm after the first"
                + " step. A command-line process pays JVM start and JIT warm-up on top (~0.4-0.7 s).");
        rep.note("The commit time includes hashing the file whole (SHA-256 for status, CRC32C for checkout), on a thread of its own.");
        rep.headline("throughput: commit MB/s of a " + Fmt.mb(fileBytes) + " checkpoint (1 / " + cores + " ingest threads)",
                Fmt.f(commitMBps[0]) + " / " + Fmt.f(commitMBps[1]), "Files.copy+fsync " + Fmt.mbps(raw, copySeconds) + ", SHA-256 " + Fmt.mbps(raw, shaSeconds));
        rep.headline("throughput: export to a stream MB/s (decoded and verified, no disk)", Fmt.mbps(raw, Arrays.stream(streamSeconds).sum()),
                "page-cache write " + Fmt.mbps(raw, pageCacheWriteSeconds));
        rep.headline("throughput: checkout MB/s (first pass / decoders compiled)", Fmt.mbps(raw, checkoutAll) + " / " + Fmt.mbps(raw, warmAll),
                "page-cache write " + Fmt.mbps(raw, pageCacheWriteSeconds) + " / write+fsync+rename " + Fmt.mbps(raw, durableWriteSeconds));
        rep.figure("commit_seconds_1", commitSeconds[0]);
        rep.figure("commit_seconds_n", commitSeconds[1]);
        rep.figure("commit_seconds_kept_open", keptSeconds);
        rep.figure("commit_seconds_commit_tensors", tensorsSeconds);
        rep.figure("checkout_seconds", checkoutSeconds);
        rep.figure("warm_checkout_seconds", warmCheckoutSeconds);
        rep.figure("stream_export_seconds", streamSeconds);
        rep.figure("forward_checkout_seconds", forwardSeconds);
        rep.figure("cold_checkout_seconds", coldSeconds);
        rep.figure("file_bytes", fileBytes);
        rep.figure("bf16_commit_seconds", bf16CommitSeconds);
        rep.figure("bf16_warm_checkout_seconds", bf16.warm);
        rep.figure("bf16_forward_checkout_seconds", bf16.forward);
        rep.figure("bf16_cold_checkout_seconds", bf16.cold);
        rep.figure("bf16_stream_export_seconds", bf16.export);
        rep.figure("bf16_file_bytes", bf16Bytes);
        rep.figure("bf16_stored_bytes", bf16Stored);
        rep.figure("bf16_xor_stored_bytes", bf16XorStored);
        rep.figure("bf16_xor_warm_checkout_seconds", bf16Xor.warm);
        rep.figure("bf16_xor_cold_checkout_seconds", bf16Xor.cold);
        rep.figure("stored_bytes", stored);
        return rep;
    }

    static byte[] safetensors(Mlp net) throws IOException {
        return safetensors(tensors(net, DType.F32));
    }

    /** The network's parameters as BF16 (each fp32's top two bytes), as a safetensors file. */
    static byte[] bf16Safetensors(Mlp net) throws IOException {
        return safetensors(tensors(net, DType.BF16));
    }

    private static byte[] safetensors(List<TensorSource> tensors) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        WeightFormats.byName("safetensors").orElseThrow().write(tensors, Map.of(), out);
        return out.toByteArray();
    }

    /**
     * The BF16 file alone as "byte planes + zstd": its header as it is, its tensor bytes split
     * into the high and the low byte of each element, each plane zstd -3 on its own.
     */
    static long planesZstd3(byte[] file) {
        int body = 8 + (int) java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return body + Baselines.xorPlanesZstd(Arrays.copyOfRange(file, body, file.length), null, 2, 3);
    }

    /** The network's parameters as fp32 tensors (copies: the network trains on). */
    static List<TensorSource> tensors(Mlp net) {
        return tensors(net, DType.F32);
    }

    /** The network's parameters as F32 or BF16 (each fp32's top two bytes) tensors. */
    private static List<TensorSource> tensors(Mlp net, DType dtype) {
        List<TensorSource> list = new ArrayList<>();
        for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
            byte[] bytes = dtype == DType.BF16 ? Mlp.bf16(e.getValue()) : Mlp.fp32(e.getValue());
            list.add(Tensors.of(e.getKey(), TensorSpec.of(dtype, net.shapeOf(e.getKey())), bytes));
        }
        return list;
    }
}
