package dev.coral.perf.stress;

import com.github.luben.zstd.Zstd;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.CodecWorkspace;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What other delta transforms would save on the training scenario's Adam history, fp32 and its
 * BF16 copy: each checkpoint against the previous one, and against a <em>prediction</em> from the
 * two before it, {@code p = a + beta * (a - b)} computed in fp32 (a decoder holding {@code a} and
 * {@code b} computes the same bits), by XOR or by the integer difference of the bit patterns,
 * two's complement as {@code SUB_PLANES} stores it or zigzag as {@code ZIGZAG_PLANES} does (the
 * sign to the lowest bit, so that small steps either way leave the high planes zero). Adam's
 * momentum makes consecutive steps alike, so a prediction misses by less than a whole step.
 * Each row: Coral's chunk encoder (sampled choice, level 1, contexts on) where it has the
 * transform ({@code ZIGZAG_PLANES} for the zigzag difference), and the offline bound's method
 * (byte planes + zstd -19) for every transform; first, what the encoder's own choice stores.
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.PredictiveDeltaProbe [STEPS [EVERY [HIDDEN]]]} (defaults 200, 5, 256:
 * the training scenario's small scale).
 */
public final class PredictiveDeltaProbe {
    private static final int CHUNK = 4 << 20;
    private static final String[] ROWS = {"previous: XOR", "previous: integer difference", "previous: zigzag difference",
        "a + 1.0 (a - b): XOR", "a + 0.9 (a - b): XOR", "a + 0.9 (a - b): integer difference", "a + 0.9 (a - b): zigzag difference"};

    private PredictiveDeltaProbe() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int every = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        Mlp net = new Mlp(new int[] {32, hidden, hidden, 16}, 7);
        SplittableRandom data = new SplittableRandom(11);
        float[] prev2 = null;
        float[] prev = null;
        long[] raw = new long[2];
        long[][] coral = new long[2][ROWS.length];
        long[][] bound = new long[2][ROWS.length];
        long[] chosen = new long[2];
        int measured = 0;
        long t0 = System.nanoTime();
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int step = 1; step <= steps; step++) {
                net.adamStep(data, 16, 1e-3f);
                float[] cur = flat(net.parameters());
                if (prev2 != null && step % every == 0) {
                    for (int d = 0; d < 2; d++) {
                        boolean bf16 = d == 1;
                        float[] prev2d = bf16 ? truncated(prev2) : prev2;
                        float[] prevd = bf16 ? truncated(prev) : prev;
                        byte[] c = bytes(cur, bf16);
                        byte[] a = bytes(prevd, bf16);
                        byte[] p1 = bytes(predict(prevd, prev2d, 1.0f), bf16);
                        byte[] p9 = bytes(predict(prevd, prev2d, 0.9f), bf16);
                        int w = bf16 ? 2 : 4;
                        raw[d] += c.length;
                        chosen[d] += best(c, a, w, ws);
                        byte[][] bases = {a, a, a, p1, p9, p9, p9};
                        for (int r = 0; r < ROWS.length; r++) {
                            int transform = ROWS[r].endsWith("XOR") ? 0 : ROWS[r].endsWith("integer difference") ? 1 : 2;
                            bound[d][r] += bound(c, bases[r], w, transform);
                            if (transform == 0) {
                                coral[d][r] += coral(ChunkCodec.XOR_PLANES, c, bases[r], w, ws);
                            } else if (transform == 1) {
                                coral[d][r] += coral(ChunkCodec.SUB_PLANES, c, bases[r], w, ws);
                            } else {
                                coral[d][r] += coral(ChunkCodec.ZIGZAG_PLANES, c, bases[r], w, ws);
                            }
                        }
                    }
                    measured++;
                }
                prev2 = prev;
                prev = cur;
            }
        }
        System.out.printf(Locale.ROOT, "# Adam, lr 1e-3, batch 16, [32, %d, %d, 16] MLP (%.2f MB per fp32 checkpoint), %d steps, every %dth"
                + " measured (%d checkpoints); %.0f s%n", hidden, hidden, prev.length * 4 / 1e6, steps, every, measured,
                (System.nanoTime() - t0) / 1e9);
        System.out.println("| base: transform | fp32 Coral codec | fp32 planes + zstd -19 | bf16 Coral codec | bf16 planes + zstd -19 |");
        System.out.println("| --- | --- | --- | --- | --- |");
        System.out.printf(Locale.ROOT, "| previous: the encoder's choice (what Coral stores) | %s | | %s | |%n", ratio(raw[0], chosen[0]),
                ratio(raw[1], chosen[1]));
        for (int r = 0; r < ROWS.length; r++) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.3fx | %s | %.3fx |%n", ROWS[r], ratio(raw[0], coral[0][r]), (double) raw[0] / bound[0][r],
                    ratio(raw[1], coral[1][r]), (double) raw[1] / bound[1][r]);
        }
    }

    private static String ratio(long raw, long stored) {
        return stored == 0 ? "" : String.format(Locale.ROOT, "%.3fx", (double) raw / stored);
    }

    private static float[] flat(Map<String, float[]> params) {
        int n = 0;
        for (float[] p : params.values()) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : params.values()) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The BF16 values of {@code v} (truncated, as {@link Mlp#bf16}), as fp32. */
    private static float[] truncated(float[] v) {
        float[] t = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            t[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & 0xFFFF0000);
        }
        return t;
    }

    private static byte[] bytes(float[] v, boolean bf16) {
        return bf16 ? Mlp.bf16(v) : Mlp.fp32(v);
    }

    /** {@code a + beta * (a - b)}, element by element, in fp32. */
    static float[] predict(float[] a, float[] b, float beta) {
        float[] p = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            p[i] = a[i] + beta * (a[i] - b[i]);
        }
        return p;
    }

    /** Bytes the chunk encoder's sampled choice stores for {@code c} against {@code base}, in 4 MiB chunks. */
    private static long best(byte[] c, byte[] base, int w, CodecWorkspace ws) {
        long n = 0;
        for (int off = 0; off < c.length; off += CHUNK) {
            n += ChunkEncoder.encodeBest(c, off, Math.min(CHUNK, c.length - off), w, base, off, 1, ChunkEncoder.Choice.SAMPLED, ws).length();
        }
        return n;
    }

    /** Bytes the chunk encoder stores for {@code c} against {@code base} with {@code codec} (or the raw chunk where smaller). */
    private static long coral(ChunkCodec codec, byte[] c, byte[] base, int w, CodecWorkspace ws) {
        long n = 0;
        for (int off = 0; off < c.length; off += CHUNK) {
            int len = Math.min(CHUNK, c.length - off);
            n += Math.min(ChunkEncoder.encode(codec, c, off, len, w, base, off, 1, ws).length(),
                    ChunkEncoder.encodeBest(c, off, len, w, null, 0, 1, ChunkEncoder.Choice.SAMPLED, ws).length());
        }
        return n;
    }

    /** Byte planes (most significant first) of the transform of {@code c} against {@code base}, each zstd -19. */
    private static long bound(byte[] c, byte[] base, int w, int transform) {
        int n = c.length / w;
        byte[][] planes = new byte[w][n];
        int bits = 8 * w;
        long mask = w == 4 ? 0xFFFFFFFFL : 0xFFFFL;
        for (int i = 0; i < n; i++) {
            long x = element(c, i, w);
            long y = element(base, i, w);
            long d;
            if (transform == 0) {
                d = x ^ y;
            } else {
                long sx = x << (64 - bits) >> (64 - bits); // signed
                long sy = y << (64 - bits) >> (64 - bits);
                long diff = sx - sy;
                d = transform == 1 ? diff & mask : ((diff << 1) ^ (diff >> 63)) & mask;
            }
            for (int k = 0; k < w; k++) {
                planes[k][i] = (byte) (d >>> (bits - 8 - 8 * k));
            }
        }
        long total = 0;
        for (byte[] p : planes) {
            total += Zstd.compress(p, 19).length;
        }
        return total;
    }

    private static long element(byte[] b, int i, int w) {
        long v = 0;
        for (int k = w - 1; k >= 0; k--) {
            v = v << 8 | (b[w * i + k] & 0xFF);
        }
        return v;
    }
}
