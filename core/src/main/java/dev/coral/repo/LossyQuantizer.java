package dev.coral.repo;

import dev.coral.tensor.DType;
import dev.coral.tensor.FloatElements;
import java.io.IOException;
import dev.coral.io.PairedBlockStream;
import java.io.InputStream;

/**
 * Opt-in lossy storage: replaces each float element w of a tensor by a value r with
 * |r − w| ≤ eps (exactly, as the dtype rounds it), chosen to make the delta against b, the same
 * element of the previous stored version, cheap to store:
 * <ul>
 * <li>r = b where b is within eps of w (elements that moved less than eps: zero delta planes);</li>
 * <li>else, of the values within eps of w that have b's sign (all of them, unless the interval
 *     crosses zero; w's sign when none has b's: w crossed zero), the one whose magnitude's bit
 *     pattern differs from b's by the integer with the most trailing zero bits
 *     ({@link #simplest}): the XOR (and the integer difference) of r and b is then the sign bit
 *     and a few high bits over zero low bytes, which the delta codecs' byte planes store in a few
 *     bits per element instead of the 16-24 that snapping to a grid in value left;</li>
 * <li>else r = b + 2·eps·round((w−b)/(2·eps)), if within eps (not reached for finite values, but
 *     kept as a guard), else r = w.</li>
 * </ul>
 * BF16 and F16 elements the same, over their 16-bit patterns ({@link #quantize16}): their grid is
 * coarse (BF16 steps 2.4e-4 at 0.05), so below about half a step only the snap to the base applies.
 * Non-finite values and non-float dtypes pass through unchanged. Streams: reads both tensors
 * chunk by chunk. Measured (numpy, two steps of a 19 MB fp32 Adam MLP, bits per element of the
 * stored delta's planes): eps 1e-4 18.5 → 7.2-7.5, 1e-5 22.8 → 10.7; the entropy of the grid
 * index round((w−b)/(2·eps)) is 3.4 and 6.5. Coral's codec on its 4 MiB fc2.weight chunk, eps
 * 1e-4: 5.86 bits per element, 5.35 once elements that crossed zero (1% of them) kept their low
 * bits too.
 */
final class LossyQuantizer extends PairedBlockStream {
    private static final int BLOCK = 1 << 16;

    private final DType dtype;
    private final double eps;
    /** The bits the quantizer changed, OR'ed over every element read: zero while every value is stored as it came. */
    private long changed;

    LossyQuantizer(InputStream values, InputStream base, DType dtype, double eps) {
        super(values, base, BLOCK);
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("lossy error bound must be a positive, finite number: " + eps);
        }
        this.dtype = dtype;
        this.eps = eps;
    }

    /** Whether a value read so far is stored other than it came (its bits changed): whether the tensor is stored lossy. */
    boolean changedAny() {
        return changed != 0;
    }

    @Override
    protected IOException secondEndedEarly() {
        return new IOException("lossy base tensor ended early");
    }


    @Override
    protected void combine(byte[] buf, byte[] baseBuf, int n) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i + 4 <= n; i += 4) {
                    float w = Float.intBitsToFloat(le32(buf, i));
                    float b = Float.intBitsToFloat(le32(baseBuf, i));
                    if (Float.isFinite(w) && Float.isFinite(b)) {
                        int q = Float.floatToRawIntBits(quantize(w, b, eps));
                        changed |= q ^ Float.floatToRawIntBits(w);
                        put32(buf, i, q);
                    }
                }
            }
            case F64 -> {
                for (int i = 0; i + 8 <= n; i += 8) {
                    double w = Double.longBitsToDouble(le64(buf, i));
                    double b = Double.longBitsToDouble(le64(baseBuf, i));
                    if (Double.isFinite(w) && Double.isFinite(b)) {
                        long q = Double.doubleToRawLongBits(quantize(w, b, eps));
                        changed |= q ^ Double.doubleToRawLongBits(w);
                        put64(buf, i, q);
                    }
                }
            }
            case BF16, F16 -> {
                boolean brain = dtype == DType.BF16;
                for (int i = 0; i + 2 <= n; i += 2) {
                    int wb = (buf[i] & 0xFF) | (buf[i + 1] & 0xFF) << 8;
                    int bb = (baseBuf[i] & 0xFF) | (baseBuf[i + 1] & 0xFF) << 8;
                    int r = quantize16(wb, bb, eps, brain);
                    changed |= r ^ wb;
                    buf[i] = (byte) r;
                    buf[i + 1] = (byte) (r >>> 8);
                }
            }
            default -> {
            }
        }
    }

    /** The value stored for the finite float w against its base b (see the class comment). */
    static float quantize(float w, float b, double eps) {
        int wb = Float.floatToRawIntBits(w);
        int bb = Float.floatToRawIntBits(b);
        double aw = Math.abs((double) w);
        if ((wb ^ bb) >= 0 && aw > eps) { // the common case: every value within eps of w has b's sign
            float r = simplestWithin(aw - eps, aw + eps, bb, bb);
            if (Math.abs((double) r - w) <= eps) {
                return r;
            }
        }
        return nearZeroOrFlipped(w, b, eps);
    }

    /**
     * The value with the sign bit of {@code sign} whose magnitude lies in [low, high] and differs
     * from b's (its bit pattern {@code bb}) by the integer with the most trailing zeros; NaN when
     * no float magnitude lies there.
     */
    private static float simplestWithin(double low, double high, int sign, int bb) {
        float lo = (float) low; // the nearest float; one step up when below the bound
        float hi = (float) high;
        int bm = bb & 0x7FFFFFFF;
        int from = Float.floatToRawIntBits(lo) + (lo < low ? 1 : 0) - bm;
        int to = Float.floatToRawIntBits(hi) - (hi > high ? 1 : 0) - bm;
        return from <= to ? Float.intBitsToFloat(sign & 0x80000000 | bm + nearZero(from, to)) : Float.NaN;
    }

    /**
     * {@link #quantize(float, float, double)} where values within eps of w may have either sign
     * (|w| ≤ eps: b's side of zero then), or only the sign b does not have (w crossed zero: its
     * magnitude still differs from b's by the integer with the most trailing zeros, so the delta
     * is the sign bit and high bits, not a whole pattern); else the nearest point of a 2·eps grid
     * around b; else w.
     */
    private static float nearZeroOrFlipped(float w, float b, double eps) {
        int wb = Float.floatToRawIntBits(w);
        int bb = Float.floatToRawIntBits(b);
        double aw = Math.abs((double) w);
        float r = aw <= eps ? simplestWithin(0, (wb ^ bb) >= 0 ? aw + eps : eps - aw, bb, bb) : simplestWithin(aw - eps, aw + eps, wb, bb);
        if (Math.abs((double) r - w) <= eps) { // false for NaN
            return r;
        }
        if (Math.abs((double) b - w) <= eps) {
            return b;
        }
        double step = 2 * eps;
        float g = (float) (b + step * Math.rint(((double) w - b) / step));
        return Math.abs((double) g - w) <= eps ? g : w;
    }

    /**
     * As {@link #quantize(float, float, double)} for the 16-bit patterns of BF16 ({@code brain})
     * or F16 elements: the pattern stored for w against the base b; w itself when either is
     * not finite.
     */
    static int quantize16(int wb, int bb, double eps, boolean brain) {
        return brain ? quantizeBf16(wb, bb, eps) : quantizeF16(wb, bb, eps);
    }

    /**
     * BF16: a value is the float of its pattern << 16, so the float bounds of the interval,
     * rounded inwards to 16 bits, bound the patterns; the roundings are selects, not branches
     * (measured, 21 M elements moved by N(0, 1e-3) at eps 1e-3, warm: 19 ns each with branches, 9.5 without).
     */
    private static int quantizeBf16(int wb, int bb, double eps) {
        float w = Float.intBitsToFloat(wb << 16);
        float b = Float.intBitsToFloat(bb << 16);
        if (!Float.isFinite(w) || !Float.isFinite(b)) {
            return wb;
        }
        double aw = Math.abs((double) w);
        if (((wb ^ bb) & 0x8000) == 0 && aw > eps) { // the common case: every value within eps of w has b's sign
            int r = simplestBf16Within(aw - eps, aw + eps, bb, bb);
            if (r >= 0 && Math.abs((double) Float.intBitsToFloat(r << 16) - w) <= eps) {
                return r;
            }
        }
        return bf16NearZeroOrFlipped(wb, bb, w, b, eps);
    }

    /** {@link #quantizeBf16} where w is within eps of zero, or crossed it (see {@link #nearZeroOrFlipped}). */
    private static int bf16NearZeroOrFlipped(int wb, int bb, float w, float b, double eps) {
        double aw = Math.abs((double) w);
        int r = aw <= eps ? simplestBf16Within(0, ((wb ^ bb) & 0x8000) == 0 ? aw + eps : eps - aw, bb, bb)
                : simplestBf16Within(aw - eps, aw + eps, wb, bb);
        if (r >= 0 && Math.abs((double) Float.intBitsToFloat(r << 16) - w) <= eps) {
            return r;
        }
        return Math.abs((double) b - w) <= eps ? bb : wb;
    }

    /**
     * The BF16 pattern with the sign bit of {@code sign} whose magnitude lies in [low, high]
     * (low ≥ 0) and differs from b's ({@code bb}) by the integer with the most trailing zeros; -1
     * when no BF16 magnitude lies there. The float bounds, rounded inwards to 16 bits, bound the
     * patterns; the roundings are selects, not branches.
     */
    private static int simplestBf16Within(double low, double high, int sign, int bb) {
        float lo = (float) low; // not negative: one pattern up is the next float up
        float hi = (float) high;
        int loBits = Float.floatToRawIntBits(lo) + (lo < low ? 1 : 0);
        int hiBits = Float.floatToRawIntBits(hi) - (hi > high ? 1 : 0);
        int bm = bb & 0x7FFF;
        int from = (loBits + 0xFFFF >>> 16) - bm;
        int to = (hiBits >>> 16) - bm;
        return from <= to ? sign & 0x8000 | bm + nearZero(from, to) : -1;
    }

    /** F16: the interval's patterns found by binary search over the magnitudes (F16 is rare in weights). */
    private static int quantizeF16(int wb, int bb, double eps) {
        float w = FloatElements.halfToFloat(wb);
        float b = FloatElements.halfToFloat(bb);
        if (!Float.isFinite(w) || !Float.isFinite(b)) {
            return wb;
        }
        double aw = Math.abs((double) w);
        boolean sameSign = ((wb ^ bb) & 0x8000) == 0;
        int sign = sameSign || aw <= eps ? bb : wb; // b's side of zero where it has values within eps
        double low = aw <= eps ? 0 : aw - eps;
        double high = !sameSign && aw <= eps ? eps - aw : aw + eps;
        int bm = bb & 0x7FFF;
        int from = firstHalfAtLeast(low) - bm;
        int to = firstHalfAtLeast(Math.nextUp(high)) - 1 - bm;
        if (from <= to) {
            int r = sign & 0x8000 | bm + nearZero(from, to);
            if (Math.abs((double) FloatElements.halfToFloat(r) - w) <= eps) {
                return r;
            }
        }
        return Math.abs((double) b - w) <= eps ? bb : wb;
    }

    /** The least F16 magnitude pattern (0..0x7C00, 0x7C00 = infinity) whose value is at least {@code v}. */
    private static int firstHalfAtLeast(double v) {
        int lo = 0;
        int hi = 0x7C00;
        while (lo < hi) { // the magnitude patterns order their values
            int mid = (lo + hi) >>> 1;
            if (FloatElements.halfToFloat(mid) >= v) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** As {@link #quantize(float, float, double)} for doubles. */
    static double quantize(double w, double b, double eps) {
        if (Math.abs(b - w) <= eps) {
            return b;
        }
        long wb = Double.doubleToRawLongBits(w);
        long bb = Double.doubleToRawLongBits(b);
        double aw = Math.abs(w);
        boolean sameSign = (wb ^ bb) >= 0;
        double side = sameSign || aw <= eps ? b : w; // b's side of zero where it has values within eps
        double lo = aw <= eps ? 0 : aw - eps;
        double hi = !sameSign && aw <= eps ? eps - aw : aw + eps;
        while (lo <= hi && Math.abs(Math.copySign(lo, side) - w) > eps) { // the bounds were rounded: step inwards
            lo = Math.nextUp(lo);
        }
        while (hi >= lo && Math.abs(Math.copySign(hi, side) - w) > eps) {
            hi = Math.nextDown(hi);
        }
        long bm = bb & Long.MAX_VALUE;
        long from = Double.doubleToRawLongBits(lo) - bm;
        long to = Double.doubleToRawLongBits(hi) - bm;
        if (from <= to) {
            double r = Math.copySign(Double.longBitsToDouble(bm + nearZero(from, to)), side);
            if (Double.isFinite(r) && Math.abs(r - w) <= eps) {
                return r;
            }
        }
        double step = 2 * eps;
        double r = b + step * Math.rint((w - b) / step);
        return Double.isFinite(r) && Math.abs(r - w) <= eps ? r : w;
    }

    /**
     * {@link #nearZero(long, long)} for ints (|from|, |to| &lt; 2^31 − 1), without a branch: the
     * sign of the move up or down is a coin toss per element, which branches mispredicted.
     */
    static int nearZero(int from, int to) {
        int below = to >> 31; // -1 when the whole range is below zero: mirror it
        int a = from & ~below | -to & below;
        int b = to & ~below | -from & below;
        int m = b & -Integer.highestOneBit((a - 1) ^ b);
        m &= ~((a - 1) >> 31); // 0 when a <= 0: the range holds 0
        return (m ^ below) - below;
    }

    /** The integer in [from, to] with the most trailing zero bits; 0 when the range holds it. */
    private static long nearZero(long from, long to) {
        return from > 0 ? simplest(from, to) : to < 0 ? -simplest(-to, -from) : 0;
    }

    /**
     * The integer in [from, to] (0 &lt; from ≤ to) with the most trailing zero bits: {@code to} with
     * every bit below the highest bit where {@code from − 1} and {@code to} differ cleared. Every
     * number in (from − 1, to] shares the bits above that one, so no multiple of a larger power of
     * two lies in between.
     */
    static long simplest(long from, long to) {
        return to & -Long.highestOneBit((from - 1) ^ to);
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }

    private static long le64(byte[] b, int i) {
        return (le32(b, i) & 0xFFFFFFFFL) | (long) le32(b, i + 4) << 32;
    }

    private static void put32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    private static void put64(byte[] b, int i, long v) {
        put32(b, i, (int) v);
        put32(b, i + 4, (int) (v >>> 32));
    }
}
