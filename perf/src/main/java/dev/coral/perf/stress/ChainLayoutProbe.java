package dev.coral.perf.stress;

import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.CodecWorkspace;
import dev.coral.store.ChainShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Whether another delta chain layout would store a training history in fewer bytes at the same
 * chain bound. First it measures, on the training scenario's Adam history (fp32 and its BF16
 * copy), what a delta against the version {@code s} steps back costs, by span s, against a delta
 * against the previous step (Coral's chunk encoder, each tensor on its own), and what a keyframe
 * costs. Then, with those costs, it compares {@link ChainShape}'s layouts (runs of r steps,
 * skip-deltas between run starts) with the cheapest layout of the same depth bound and the same
 * versions per keyframe that {@code SkipDeltaBase} could follow: any tree in which each version's
 * base is the previous version or one of its chain, so that every node's descendants follow it in
 * a contiguous block. Found by dynamic programming over blocks; a price per delta of depth
 * (lambda, in step-deltas) trades stored bytes against the mean number of deltas a read decodes.
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.ChainLayoutProbe [STEPS [HIDDEN [DEPTH [RUN]]]]} (defaults 400, 256, 12, 8:
 * the training scenario's small-scale MLP and the default chain shape). About 15 s.
 */
public final class ChainLayoutProbe {
    private static final int[] SPANS = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
    private static final double[] LAMBDAS = {0, 0.002, 0.005, 0.01, 0.02, 0.05};

    private ChainLayoutProbe() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int depth = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        int run = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        ChainShape shape = new ChainShape(depth, run);
        int versions = (int) Math.min(shape.versionsPerKeyframe(), 1024);
        Mlp net = new Mlp(new int[] {32, hidden, hidden, 16}, 7);
        SplittableRandom data = new SplittableRandom(11);
        List<List<float[]>> history = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            net.adamStep(data, 16, 1e-3f);
            List<float[]> tensors = new ArrayList<>();
            for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
                tensors.add(e.getValue().clone());
            }
            history.add(tensors);
        }
        System.out.printf(Locale.ROOT, "# %d Adam steps of a [32, %d, %d, 16] MLP; chain bound %d, %d versions per keyframe%n",
                steps, hidden, hidden, depth, versions);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (String dtype : new String[] {"fp32", "bf16"}) {
                SpanCosts costs = SpanCosts.measure(history, dtype, ws);
                System.out.println(dtype + ": " + costs);
                report(costs, shape, versions);
            }
        }
    }

    private static void report(SpanCosts costs, ChainShape shape, int versions) {
        double current = costs.keyframe;
        double currentDepth = 0;
        for (long n = 1; n < versions; n++) {
            current += costs.of((int) (n - shape.baseOf(n)));
            currentDepth += shape.depthOf(n);
        }
        System.out.printf(Locale.ROOT, "  ChainShape(%d, run %d): %.4f step-deltas per version, mean depth %.2f%n", shape.maxDepth(),
                shape.run(), current / versions, currentDepth / (versions - 1));
        for (double lambda : LAMBDAS) {
            Layout best = Layout.cheapest(costs, shape.maxDepth(), versions, lambda);
            System.out.printf(Locale.ROOT, "  cheapest tree, lambda %.3f: %.4f per version (%+.2f%%), mean depth %.2f; first bases back: %s%n",
                    lambda, best.cost / versions, 100 * (best.cost / current - 1), best.meanDepth, best.firstSpans(64));
        }
    }

    /** What a delta costs by its span, in deltas against the previous step, and what a keyframe costs. */
    static final class SpanCosts {
        final double[] bySpan = new double[SPANS.length];
        double keyframe;
        double stepBytes;

        static SpanCosts measure(List<List<float[]>> history, String dtype, CodecWorkspace ws) {
            SpanCosts c = new SpanCosts();
            int steps = history.size();
            int from = steps / 4;
            double[] sums = new double[SPANS.length];
            int[] counts = new int[SPANS.length];
            long keySum = 0;
            int keyCount = 0;
            for (int n = from, i = 0; n < steps; n += 3, i++) {
                for (int k = 0; k < SPANS.length; k++) {
                    if (n - SPANS[k] >= 0) {
                        sums[k] += delta(history.get(n), history.get(n - SPANS[k]), dtype, ws);
                        counts[k]++;
                    }
                }
                if (i % 5 == 0) {
                    keySum += delta(history.get(n), null, dtype, ws);
                    keyCount++;
                }
            }
            c.stepBytes = sums[0] / counts[0];
            for (int k = 0; k < SPANS.length; k++) {
                c.bySpan[k] = counts[k] == 0 ? Double.NaN : sums[k] / counts[k] / c.stepBytes;
            }
            c.keyframe = keySum / (double) keyCount / c.stepBytes;
            return c;
        }

        private static long delta(List<float[]> version, List<float[]> base, String dtype, CodecWorkspace ws) {
            int w = dtype.equals("fp32") ? 4 : 2;
            long total = 0;
            for (int t = 0; t < version.size(); t++) {
                byte[] x = bytes(version.get(t), dtype);
                byte[] b = base == null ? null : bytes(base.get(t), dtype);
                total += ChunkEncoder.encodeBest(x, 0, x.length, w, b, 0, 1, ChunkEncoder.Choice.SAMPLED, ws).length();
            }
            return total;
        }

        private static byte[] bytes(float[] v, String dtype) {
            return dtype.equals("fp32") ? Mlp.fp32(v) : Mlp.bf16(v);
        }

        /** The cost of a delta of span s, interpolated in log(s) between the measured spans (the last slope past them). */
        double of(int s) {
            int k = 0;
            while (k < SPANS.length - 2 && (SPANS[k + 1] < s || Double.isNaN(bySpan[k + 2]))) {
                k++;
            }
            if (s <= 1) {
                return bySpan[0];
            }
            double x0 = Math.log(SPANS[k]);
            double x1 = Math.log(SPANS[k + 1]);
            return bySpan[k] + (bySpan[k + 1] - bySpan[k]) * (Math.log(s) - x0) / (x1 - x0);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "a step-delta %.0f bytes; keyframe %.2f; by span:",
                    stepBytes, keyframe));
            for (int k = 0; k < SPANS.length; k++) {
                if (!Double.isNaN(bySpan[k])) {
                    sb.append(String.format(Locale.ROOT, " %d:%.3f", SPANS[k], bySpan[k]));
                }
            }
            return sb.toString();
        }
    }

    /**
     * The cheapest layout of {@code versions} versions under one keyframe with chains of at most
     * {@code maxDepth} deltas: g[d][len] is the cheapest block of len versions whose first is its
     * root, its descendants at most d deltas below it; the root's children split the rest of the
     * block into consecutive blocks, a child at offset p costing a delta of span p.
     */
    static final class Layout {
        double cost;
        double meanDepth;
        int[] parent;

        static Layout cheapest(SpanCosts costs, int maxDepth, int versions, double lambda) {
            double[] span = new double[versions + 1];
            for (int s = 1; s <= versions; s++) {
                span[s] = costs.of(s);
            }
            double[][] g = new double[maxDepth + 1][versions + 1];
            short[][][] next = new short[maxDepth + 1][versions + 1][];
            for (int d = 0; d <= maxDepth; d++) {
                java.util.Arrays.fill(g[d], Double.POSITIVE_INFINITY);
                g[d][1] = 0;
            }
            for (int d = 1; d <= maxDepth; d++) {
                for (int len = 2; len <= versions; len++) {
                    double[] rest = new double[len + 1]; // rest[s]: offsets [s, len) covered by the root's children
                    short[] cut = new short[len + 1];
                    for (int s = len - 1; s >= 1; s--) {
                        double best = Double.POSITIVE_INFINITY;
                        for (int e = s + 1; e <= len; e++) {
                            double c = g[d - 1][e - s] + lambda * (e - s) + rest[e];
                            if (c < best) {
                                best = c;
                                cut[s] = (short) e;
                            }
                        }
                        rest[s] = span[s] + best;
                    }
                    g[d][len] = rest[1];
                    next[d][len] = cut;
                }
            }
            Layout l = new Layout();
            l.parent = new int[versions];
            int[] depthOf = new int[versions];
            l.place(0, versions, maxDepth, 0, next, depthOf);
            double total = costs.keyframe;
            double depths = 0;
            for (int n = 1; n < versions; n++) {
                total += span[n - l.parent[n]];
                depths += depthOf[n];
            }
            l.cost = total;
            l.meanDepth = depths / (versions - 1);
            return l;
        }

        private void place(int root, int len, int d, int depth, short[][][] next, int[] depthOf) {
            depthOf[root] = depth;
            if (len <= 1) {
                return;
            }
            short[] cut = next[d][len];
            for (int s = 1; s < len; s = cut[s]) {
                parent[root + s] = root;
                place(root + s, cut[s] - s, d - 1, depth + 1, next, depthOf);
            }
        }

        /** The spans back to each version's base, versions 1 to n-1, a row of 1s written once with its count ("1x7"). */
        String firstSpans(int n) {
            StringBuilder sb = new StringBuilder();
            int ones = 0;
            for (int v = 1; v < Math.min(n, parent.length); v++) {
                int span = v - parent[v];
                if (span == 1) {
                    ones++;
                    continue;
                }
                if (ones > 0) {
                    sb.append("1x").append(ones).append(' ');
                    ones = 0;
                }
                sb.append(span).append(' ');
            }
            if (ones > 0) {
                sb.append("1x").append(ones);
            }
            return sb.toString().trim();
        }
    }
}
