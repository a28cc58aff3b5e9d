package dev.coral.perf.stress;

import dev.coral.api.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The checkout passes of {@link ThroughputScenario} over one repository of {@code steps} commits
 * of one file (main~0 the newest): backward from the file of the commit before (a first pass,
 * then {@link #WARM_PASSES} more whose medians are kept), forward one step at a time, exports to
 * a stream, and with no file at hand. Each checkout's file is checked against the SHA-256 of
 * the file committed. Seconds per depth d (main~d) in each array.
 */
final class CheckoutPasses {
    /** Warm checkout passes after the first; each depth's median is reported. */
    static final int WARM_PASSES = 3;

    final double[] first;
    final double[] warm;
    /** main~d from main~(d+1)'s file; index steps - 1 unused. */
    final double[] forward;
    final double[] export;
    final double[] cold;
    /** The baselines timed between the warm checkouts (when asked for): the same bytes written, no decoding. */
    double pageCacheWriteSeconds;
    double durableWriteSeconds;

    private CheckoutPasses(int steps) {
        first = new double[steps];
        warm = new double[steps];
        forward = new double[steps - 1];
        export = new double[steps];
        cold = new double[steps];
    }

    /**
     * Runs every pass on {@code repo} (its one file {@code name}); {@code sha[s]} is the SHA-256
     * of step s's file (step steps-1 is main~0). With {@code baselineDir}, the page-cache and
     * durable writes of each file are timed between the warm checkouts, in that folder.
     */
    static CheckoutPasses run(Repository repo, String name, byte[][] sha, long fileBytes, ScenarioReport rep, String label,
                              Path baselineDir) throws IOException {
        int steps = sha.length;
        CheckoutPasses p = new CheckoutPasses(steps);
        Path file = repo.root().resolve(name);
        // the first pass is the first decode of each depth in this JVM (the decoders compile during
        // it); then WARM_PASSES more, each depth's median kept: one warm pass still caught the JIT
        // recompiling (its first backward undo ran at 500-850 MB/s where the later ones ran at 1.1-1.3 GB/s)
        double[][] warmPasses = new double[WARM_PASSES][steps];
        for (int pass = 0; pass <= WARM_PASSES; pass++) {
            double[] seconds = pass == 0 ? p.first : warmPasses[pass - 1];
            for (int k = 1; k <= steps; k++) {
                int d = k % steps; // main~0 last, from another commit's file: its checkout writes the file too
                long t0 = System.nanoTime();
                repo.checkout("main~" + d, true);
                seconds[d] = (System.nanoTime() - t0) / 1e9;
                byte[] got = Files.readAllBytes(file);
                if (!Arrays.equals(Baselines.sha256().digest(got), sha[steps - 1 - d])) {
                    rep.failed(label + "checkout of main~" + d + " is not the committed file");
                }
                if (pass > 0 && baselineDir != null) { // the baselines in the same minutes: the disk's load changes
                    t0 = System.nanoTime();
                    Baselines.writeToPageCache(got, baselineDir.resolve("unsynced.safetensors"));
                    p.pageCacheWriteSeconds += (System.nanoTime() - t0) / 1e9 / WARM_PASSES;
                    t0 = System.nanoTime();
                    Baselines.writeDurably(got, baselineDir.resolve("durable.safetensors"));
                    p.durableWriteSeconds += (System.nanoTime() - t0) / 1e9 / WARM_PASSES;
                }
            }
        }
        for (int d = 0; d < steps; d++) {
            double[] x = new double[WARM_PASSES];
            for (int pass = 0; pass < WARM_PASSES; pass++) {
                x[pass] = warmPasses[pass][d];
            }
            Arrays.sort(x);
            p.warm[d] = x[WARM_PASSES / 2];
        }
        // forward one step at a time, oldest first (evaluating each checkpoint of a run): each checkout starts from the
        // file of the step before, whose chunks are on the next step's chains; twice, the second timed (the first compiles
        // what only this way of reading runs)
        for (int pass = 0; pass < 2; pass++) {
            repo.checkout("main~" + (steps - 1), true);
            for (int d = steps - 2; d >= 0; d--) {
                long t0 = System.nanoTime();
                repo.checkout("main~" + d, true);
                p.forward[d] = (System.nanoTime() - t0) / 1e9;
                if (!Arrays.equals(Baselines.sha256().digest(Files.readAllBytes(file)), sha[steps - 1 - d])) {
                    rep.failed(label + "checkout of main~" + d + " from main~" + (d + 1) + "'s file is not the committed file");
                }
            }
        }
        // the file as committed into a stream (export -o -): every chunk checked against its
        // SHA-256, nothing written to disk: decoding and verifying alone
        for (int d = 0; d < steps; d++) {
            CountingSink sink = new CountingSink();
            long t0 = System.nanoTime();
            repo.export("main~" + d, name, sink, null);
            p.export[d] = (System.nanoTime() - t0) / 1e9;
            if (sink.count != fileBytes) {
                rep.failed(label + "export of main~" + d + " to a stream gave " + sink.count + " bytes, not " + fileBytes);
            }
        }
        // no file at hand (deleted first, as after rm or in a fresh clone): each chunk decoded down its
        // chain; after the exports, which decode the same chains, and twice, the second timed (the
        // first pass at ~2 ran at 155 MB/s: what only this way of reading runs compiling)
        for (int pass = 0; pass < 2; pass++) {
            for (int d = 0; d < steps; d++) {
                Files.delete(file);
                long t0 = System.nanoTime();
                repo.checkout("main~" + d, true);
                p.cold[d] = (System.nanoTime() - t0) / 1e9;
                if (!Arrays.equals(Baselines.sha256().digest(Files.readAllBytes(file)), sha[steps - 1 - d])) {
                    rep.failed(label + "checkout of main~" + d + " with no file at hand is not the committed file");
                }
            }
        }
        repo.checkout("main", true);
        return p;
    }

    /** "all MB/s; ~0 x MB/s, ~1 y MB/s, ..." over {@code seconds} (by depth), each of {@code fileBytes}. */
    static String allAndByDepth(double[] seconds, long fileBytes, boolean oldestFirst) {
        return Fmt.mbps(fileBytes * seconds.length, Arrays.stream(seconds).sum()) + "; " + byDepth(seconds, fileBytes, oldestFirst);
    }

    /** "~0 x MB/s, ~1 y MB/s, ..." (oldest first with {@code oldestFirst}). */
    static String byDepth(double[] seconds, long fileBytes, boolean oldestFirst) {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < seconds.length; k++) {
            int d = oldestFirst ? seconds.length - 1 - k : k;
            s.append(k == 0 ? "" : ", ").append("~").append(d).append(' ').append(Fmt.mbps(fileBytes, seconds[d]));
        }
        return s.toString();
    }
}
