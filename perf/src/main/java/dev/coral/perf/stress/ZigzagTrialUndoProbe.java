package dev.coral.perf.stress;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * What undoing a BF16 zigzag delta would cost if its context-coded plane were decoded by trial:
 * the plane's contexts are the base's exponent groups, which going back (the target and the
 * delta's high byte known) are open by a borrow. So each candidate group's code is tried, a
 * candidate kept when the base it implies lies in that group, and where two are kept a side
 * stream's bit (here: the truth, as the encoder would write it) says which. Prints the share of
 * elements with two candidates, the share that would need a side bit (its size against the
 * plane's), and the time per element of that undo against a forward decode of the same plane,
 * both one stream, one thread, written the same way (Coral's decoder runs four streams and five
 * symbols a read, so compare the ratio, not the times). Not a codec of Coral's: a probe of an idea.
 *
 * <p>Run: {@code java -cp perf/target/classes:core/target/classes:DEPS
 * dev.coral.perf.stress.ZigzagTrialUndoProbe [STEPS]} (default 5 Adam steps of the small-scale
 * throughput MLP, 4.75 M BF16 elements; each step against the one before). About 1 minute.
 */
public final class ZigzagTrialUndoProbe {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int BITS = 11;
    private static final int MASK = (1 << BITS) - 1;
    private static final int GROUPS = 8;
    private static final int REPS = 15;

    private ZigzagTrialUndoProbe() {
    }

    public static void main(String[] args) throws IOException {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Mlp net = new Mlp(ThroughputScenario.dims(Scale.of("small")), 11);
        SplittableRandom data = new SplittableRandom(99);
        net.adamStep(data, 2, 1e-3f);
        short[] before = elements(ThroughputScenario.bf16Safetensors(net));
        for (int step = 1; step <= steps; step++) {
            net.adamStep(data, 2, 1e-3f);
            short[] after = elements(ThroughputScenario.bf16Safetensors(net));
            measure(step, before, after);
            before = after;
        }
    }

    /** The tensor bytes of a safetensors file as BF16 elements. */
    private static short[] elements(byte[] file) {
        ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int start = 8 + (int) bb.getLong(0);
        short[] s = new short[(file.length - start) / 2];
        bb.position(start);
        bb.asShortBuffer().get(s);
        return s;
    }

    private static int ctx(int x) {
        return x >>> 7 & 0xFF;
    }

    private static int unzigzag(int z) {
        return z >>> 1 ^ -(z & 1);
    }

    private static void measure(int step, short[] b, short[] t) {
        int n = b.length;
        int[] hi = new int[n];
        int[] lo = new int[n];
        long[] ctxCount = new long[256];
        for (int i = 0; i < n; i++) {
            int d = (short) (t[i] - b[i]);
            int z = (d << 1 ^ d >> 15) & 0xFFFF;
            hi[i] = z >>> 8;
            lo[i] = z & 0xFF;
            ctxCount[ctx(b[i] & 0xFFFF)]++;
        }
        int[] groupOf = new int[256]; // contiguous groups of about equal counts, boundaries at even contexts, as Coral's
        long acc = 0;
        int g = 0;
        for (int v = 0; v < 256; v++) {
            groupOf[v] = g;
            acc += ctxCount[v];
            if (acc >= n / GROUPS && g < GROUPS - 1 && v % 2 == 1) {
                g++;
                acc = 0;
            }
        }
        int groups = g + 1;
        int[] group = new int[n];
        long[][] freq = new long[groups][256];
        for (int i = 0; i < n; i++) {
            group[i] = groupOf[ctx(b[i] & 0xFFFF)];
            freq[group[i]][lo[i]]++;
        }
        int[][] code = new int[groups][256];
        int[][] length = new int[groups][];
        char[] table = new char[groups << BITS];
        long bits = 0;
        for (int q = 0; q < groups; q++) {
            length[q] = limitedLengths(freq[q]);
            int c = 0;
            for (int l = 1; l <= BITS; l++, c <<= 1) { // canonical codes, bit-reversed: read from the low end
                for (int s = 0; s < 256; s++) {
                    if (length[q][s] == l) {
                        int r = Integer.reverse(c++) >>> (32 - l);
                        code[q][s] = r;
                        for (int x = r; x <= MASK; x += 1 << l) {
                            table[q << BITS | x] = (char) (s | l << 8);
                        }
                    }
                }
            }
            for (int s = 0; s < 256; s++) {
                bits += freq[q][s] * length[q][s];
            }
        }
        byte[] stream = new byte[(int) (bits / 8) + 16];
        long pos = 0;
        for (int i = 0; i < n; i++) {
            int at = (int) (pos >>> 3);
            LONG.set(stream, at, (long) LONG.get(stream, at) | (long) code[group[i]][lo[i]] << (pos & 7));
            pos += length[group[i]][lo[i]];
        }
        short[] out = new short[n];
        long forward = Long.MAX_VALUE;
        long undo = Long.MAX_VALUE;
        int[] counts = new int[2];
        for (int rep = 0; rep < REPS; rep++) {
            long t0 = System.nanoTime();
            forward(stream, b, hi, group, table, out);
            forward = Math.min(forward, System.nanoTime() - t0);
            check(out, t, "forward");
            t0 = System.nanoTime();
            undoByTrial(stream, t, hi, group, groupOf, table, out, counts);
            undo = Math.min(undo, System.nanoTime() - t0);
            check(out, b, "undo");
        }
        System.out.printf(Locale.ROOT, "step %d: %,d BF16 elements, %d groups, plane 1 %.3f bits an element; two candidate groups for %.1f%%, "
                        + "a side bit for %.2f%% (%.2f%% of the plane); forward %.2f ns an element, undo by trial %.2f (%.2fx)%n",
                step, n, groups, bits / (double) n, 100.0 * counts[0] / n, 100.0 * counts[1] / n, 100.0 * counts[1] / bits,
                forward / (double) n, undo / (double) n, undo / (double) forward);
    }

    private static void check(short[] got, short[] want, String what) {
        if (!Arrays.equals(got, want)) {
            throw new AssertionError(what + " decoded other elements");
        }
    }

    private static void forward(byte[] stream, short[] b, int[] hi, int[] group, char[] table, short[] out) {
        long pos = 0;
        for (int i = 0; i < out.length; i++) {
            long w = (long) LONG.get(stream, (int) (pos >>> 3)) >>> (pos & 7);
            int e = table[group[i] << BITS | (int) w & MASK];
            pos += e >>> 8;
            out[i] = (short) (b[i] + unzigzag(hi[i] << 8 | e & 0xFF));
        }
    }

    /**
     * The base of each element from the target and the delta: the base lies in
     * {@code t - [128h, 128h + 127]} or {@code t + [128h + 1, 128h + 128]} (h the delta's high
     * byte), whose ends give the candidate groups; two are decoded without branches, a third
     * (0.02-0.04% of elements) on a slow path. {@code group} stands in for the side stream.
     * Counts elements with two candidates, and those that needed the side bit.
     */
    private static void undoByTrial(byte[] stream, short[] t, int[] hi, int[] group, int[] groupOf, char[] table, short[] out,
                                    int[] counts) {
        long pos = 0;
        int two = 0;
        int side = 0;
        for (int i = 0; i < out.length; i++) {
            long w = (long) LONG.get(stream, (int) (pos >>> 3)) >>> (pos & 7);
            int idx = (int) w & MASK;
            int tt = t[i] & 0xFFFF;
            int h = hi[i];
            int off = h << 7;
            int ga = groupOf[ctx(tt - off - 127 & 0xFFFF)];
            int g2 = groupOf[ctx(tt - off & 0xFFFF)];
            int g3 = groupOf[ctx(tt + off + 1 & 0xFFFF)];
            int g4 = groupOf[ctx(tt + off + 128 & 0xFFFF)];
            int gb = g2 != ga ? g2 : g3 != ga ? g3 : g4;
            int e;
            int base;
            if (g3 != ga && g3 != gb || g4 != ga && g4 != gb) {
                e = 0;
                for (int q : new int[] {ga, g2, g3, g4}) {
                    int eq = table[q << BITS | idx];
                    if (groupOf[ctx(tt - unzigzag(h << 8 | eq & 0xFF) & 0xFFFF)] == q && (e == 0 || q == group[i])) {
                        e = eq;
                    }
                }
                base = tt - unzigzag(h << 8 | e & 0xFF) & 0xFFFF;
            } else {
                int ea = table[ga << BITS | idx];
                int eb = table[gb << BITS | idx];
                int ba = tt - unzigzag(h << 8 | ea & 0xFF) & 0xFFFF;
                int bb = tt - unzigzag(h << 8 | eb & 0xFF) & 0xFFFF;
                int ca = groupOf[ctx(ba)] == ga ? 1 : 0;
                int cb = gb != ga && groupOf[ctx(bb)] == gb ? 1 : 0;
                int both = ca & cb;
                two += gb != ga ? 1 : 0;
                side += both;
                int takeB = cb & (1 - ca) | both & (group[i] == gb ? 1 : 0);
                e = takeB != 0 ? eb : ea;
                base = takeB != 0 ? bb : ba;
            }
            pos += e >>> 8;
            out[i] = (short) base;
        }
        counts[0] = two;
        counts[1] = side;
    }

    /** Huffman code lengths of at most {@value #BITS} bits: the counts halved until the longest fits. */
    private static int[] limitedLengths(long[] freq) {
        long[] f = freq.clone();
        while (true) {
            int[] len = huffmanLengths(f);
            if (Arrays.stream(len).max().orElse(0) <= BITS) {
                return len;
            }
            for (int i = 0; i < f.length; i++) {
                f[i] = f[i] == 0 ? 0 : (f[i] + 1) / 2;
            }
        }
    }

    private static int[] huffmanLengths(long[] f) {
        int n = f.length;
        int[] parent = new int[2 * n];
        long[] weight = new long[2 * n];
        PriorityQueue<Integer> q = new PriorityQueue<>((x, y) -> Long.compare(weight[x], weight[y]));
        for (int i = 0; i < n; i++) {
            if (f[i] > 0) {
                weight[i] = f[i];
                q.add(i);
            }
        }
        int[] len = new int[n];
        if (q.size() == 1) {
            len[q.peek()] = 1;
            return len;
        }
        int next = n;
        while (q.size() > 1) {
            int x = q.poll();
            int y = q.poll();
            weight[next] = weight[x] + weight[y];
            parent[x] = next;
            parent[y] = next;
            q.add(next++);
        }
        int root = next - 1;
        for (int i = 0; i < n; i++) {
            if (f[i] > 0) {
                for (int v = i; v != root; v = parent[v]) {
                    len[i]++;
                }
            }
        }
        return len;
    }
}
