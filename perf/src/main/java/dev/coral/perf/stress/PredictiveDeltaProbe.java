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
 * BF16 and F16 copies: each checkpoint against the previous one, and against a <em>prediction</em> from the
 * two before it, {@code p = a + beta * (a - b)} computed in fp32 (a decoder holding {@code a} and
 * {@code b} computes the same bits), by XOR or by the integer difference of the bit patterns,
 * two's complement as {@code SUB_PLANES} stores it or zigzag as {@code ZIGZAG_PLANES} does (the
 * sign to the lowest bit, so that small steps either way leave the high planes zero). Adam's
 * momentum makes consecutive steps alike, so a prediction misses by less than a whole step.
 * Each row: Coral's chunk encoder (sampled choice, level 1, contexts on) where it has the
 * transform ({@code ZIGZAG_PLANES} for the zigzag difference), and the offline bound's method
 * (byte planes + zstd -19) for every transform; first, what the encoder's own choice stores. The
 * "bits" rows predict on the elements' bit patterns as integers ({@link #predictBits}): what a codec
 * would use, since float arithmetic leaves NaN payloads to the CPU.
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.PredictiveDeltaProbe [STEPS [EVERY [HIDDEN]]]} (defaults 200, 5, 256:
 * the training scenario's small scale).
 */
public final class PredictiveDeltaProbe {
    private static final int CHUNK = 4 << 20;
    private static final String[] FORMATS = {"fp32", "bf16", "f16"};
    private static final String[] ROWS = {"previous: XOR", "previous: integer difference", "previous: zigzag difference",
        "a + 1.0 (a - b): XOR", "a + 0.9 (a - b): XOR", "a + 0.9 (a - b): integer difference", "a + 0.9 (a - b): zigzag difference",
        "bits: a + (a - b): zigzag difference", "bits: a + 29/32 (a - b): zigzag difference"};

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
        long[] raw = new long[FORMATS.length];
        long[][] coral = new long[FORMATS.length][ROWS.length];
        long[][] bound = new long[FORMATS.length][ROWS.length];
        long[] chosen = new long[FORMATS.length];
        int measured = 0;
        long t0 = System.nanoTime();
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int step = 1; step <= steps; step++) {
                net.adamStep(data, 16, 1e-3f);
                float[] cur = flat(net.parameters());
                if (prev2 != null && step % every == 0) {
                    for (int d = 0; d < FORMATS.length; d++) {
                        String f = FORMATS[d];
                        float[] prev2d = representable(prev2, f);
                        float[] prevd = representable(prev, f);
                        byte[] c = bytes(cur, f);
                        byte[] a = bytes(prevd, f);
                        byte[] p1 = bytes(predict(prevd, prev2d, 1.0f), f);
                        byte[] p9 = bytes(predict(prevd, prev2d, 0.9f), f);
                        int w = f.equals("fp32") ? 4 : 2;
                        raw[d] += c.length;
                        chosen[d] += best(c, a, w, ws);
                        byte[] q1 = predictBits(a, bytes(prev2d, f), w, 32);
                        byte[] q9 = predictBits(a, bytes(prev2d, f), w, 29);
                        byte[][] bases = {a, a, a, p1, p9, p9, p9, q1, q9};
                        long[] alone = alone(c, w, ws);
                        for (int r = 0; r < ROWS.length; r++) {
                            int transform = ROWS[r].endsWith("XOR") ? 0 : ROWS[r].endsWith("integer difference") ? 1 : 2;
                            bound[d][r] += bound(c, bases[r], w, transform);
                            if (transform == 0) {
                                coral[d][r] += coral(ChunkCodec.XOR_PLANES, c, bases[r], w, alone, ws);
                            } else if (transform == 1) {
                                coral[d][r] += coral(ChunkCodec.SUB_PLANES, c, bases[r], w, alone, ws);
                            } else {
                                coral[d][r] += coral(ChunkCodec.ZIGZAG_PLANES, c, bases[r], w, alone, ws);
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
        StringBuilder head = new StringBuilder("| base: transform |");
        StringBuilder rule = new StringBuilder("| --- |");
        StringBuilder first = new StringBuilder("| previous: the encoder's choice (what Coral stores) |");
        for (int d = 0; d < FORMATS.length; d++) {
            head.append(' ').append(FORMATS[d]).append(" Coral codec | ").append(FORMATS[d]).append(" planes + zstd -19 |");
            rule.append(" --- | --- |");
            first.append(' ').append(ratio(raw[d], chosen[d])).append(" | |");
        }
        System.out.println(head);
        System.out.println(rule);
        System.out.println(first);
        for (int r = 0; r < ROWS.length; r++) {
            StringBuilder row = new StringBuilder("| " + ROWS[r] + " |");
            for (int d = 0; d < FORMATS.length; d++) {
                row.append(' ').append(ratio(raw[d], coral[d][r])).append(" | ").append(ratio(raw[d], bound[d][r])).append(" |");
            }
            System.out.println(row);
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

    /** {@code v} as the format holds it (BF16 truncated as {@link Mlp#bf16}, F16 rounded to nearest even), as fp32. */
    private static float[] representable(float[] v, String format) {
        return switch (format) {
            case "bf16" -> truncated(v);
            case "f16" -> {
                float[] t = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    t[i] = halfToFloat(floatToHalf(v[i]));
                }
                yield t;
            }
            default -> v;
        };
    }

    /** IEEE binary16 bits of {@code f}, rounded to nearest even (overflow to infinity, NaN kept a NaN). */
    static int floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = x >>> 16 & 0x8000;
        int exp = (x >>> 23 & 0xFF) - 127 + 15;
        int mant = x & 0x7FFFFF;
        if ((x & 0x7FFFFFFF) >= 0x7F800000) {
            return sign | 0x7C00 | ((x & 0x7FFFFF) != 0 ? 0x200 : 0);
        }
        if (exp >= 31) {
            return sign | 0x7C00;
        }
        if (exp <= 0) { // subnormal half (or zero)
            if (exp < -10) {
                return sign;
            }
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >>> shift;
            int rest = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rest > mid || rest == mid && (half & 1) != 0) {
                half++;
            }
            return sign | half;
        }
        int half = exp << 10 | mant >>> 13;
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || rest == 0x1000 && (half & 1) != 0) {
            half++; // may carry into the exponent, up to infinity: as IEEE rounding does
        }
        return sign | half;
    }

    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = h >>> 10 & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0) {
            float m = mant * 0x1p-24f; // a subnormal half (or zero), exact in fp32
            return sign != 0 ? -m : m;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | mant << 13);
        }
        return Float.intBitsToFloat(sign | (exp - 15 + 127) << 23 | mant << 13);
    }

    /** The BF16 values of {@code v} (truncated, as {@link Mlp#bf16}), as fp32. */
    private static float[] truncated(float[] v) {
        float[] t = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            t[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & 0xFFFF0000);
        }
        return t;
    }

    private static byte[] bytes(float[] v, String format) {
        if (format.equals("f16")) {
            byte[] out = new byte[2 * v.length];
            for (int i = 0; i < v.length; i++) {
                int h = floatToHalf(v[i]);
                out[2 * i] = (byte) h;
                out[2 * i + 1] = (byte) (h >>> 8);
            }
            return out;
        }
        return format.equals("bf16") ? Mlp.bf16(v) : Mlp.fp32(v);
    }

    /**
     * The prediction {@code a + beta/32 * (a - b)} computed on the elements' bit patterns as integers
     * (little-endian, {@code w} bytes), each first mapped to an order-preserving integer (a negative
     * float's magnitude bits flipped, so that integer order is float order) and mapped back after;
     * the sum saturates at the ends of the range. Integer arithmetic only: no NaN payload or rounding
     * mode a decoder on another CPU could compute differently.
     */
    static byte[] predictBits(byte[] a, byte[] b, int w, int beta32) {
        int bits = 8 * w;
        long signBit = 1L << (bits - 1);
        long magnitude = signBit - 1;
        long lo = -signBit;
        long hi = signBit - 1;
        byte[] p = new byte[a.length];
        for (int i = 0; i < a.length; i += w) {
            long x = ordered(load(a, i, w), bits, magnitude);
            long y = ordered(load(b, i, w), bits, magnitude);
            long q = Math.max(lo, Math.min(hi, x + Math.floorDiv((x - y) * beta32, 32)));
            long back = q < 0 ? (q ^ magnitude) : q; // the inverse of ordered
            for (int k = 0; k < w; k++) {
                p[i + k] = (byte) (back >>> 8 * k);
            }
        }
        return p;
    }

    private static long load(byte[] a, int at, int w) {
        long v = 0;
        for (int k = 0; k < w; k++) {
            v |= (a[at + k] & 0xFFL) << 8 * k;
        }
        return v;
    }

    /** A sign-magnitude pattern of {@code bits} bits as a signed integer in float order. */
    private static long ordered(long v, int bits, long magnitude) {
        long s = v << (64 - bits) >> (64 - bits); // sign-extended
        return s < 0 ? (s ^ magnitude) : s;
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

    /** Bytes the chunk encoder stores for each 4 MiB chunk of {@code c} alone (no base). */
    private static long[] alone(byte[] c, int w, CodecWorkspace ws) {
        long[] sizes = new long[(c.length + CHUNK - 1) / CHUNK];
        for (int k = 0; k < sizes.length; k++) {
            int off = k * CHUNK;
            sizes[k] = ChunkEncoder.encodeBest(c, off, Math.min(CHUNK, c.length - off), w, null, 0, 1, ChunkEncoder.Choice.SAMPLED, ws)
                    .length();
        }
        return sizes;
    }

    /**
     * Bytes the chunk encoder stores for {@code c} against {@code base} with {@code codec}, or a
     * chunk alone ({@code alone}) where that is smaller, in 4 MiB chunks.
     */
    private static long coral(ChunkCodec codec, byte[] c, byte[] base, int w, long[] alone, CodecWorkspace ws) {
        long n = 0;
        for (int k = 0; k < alone.length; k++) {
            int off = k * CHUNK;
            n += Math.min(ChunkEncoder.encode(codec, c, off, Math.min(CHUNK, c.length - off), w, base, off, 1, ws).length(), alone[k]);
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
