package dev.coral.similarity;

import dev.coral.tensor.DType;

/**
 * The cheap exact check of a candidate base: over the same sampled positions of the new tensor
 * and of the candidate, the fraction of elements whose most significant byte is equal (sign and
 * top exponent bits for F32, BF16 and F64; sign, exponent and two mantissa bits for F16; the
 * whole value for 1-byte dtypes). An XOR delta zeroes exactly those high bytes, which is where
 * its gain over plain byte planes comes from.
 *
 * <p>Two estimates come with it: the same fraction when the candidate's samples are paired with
 * unrelated positions ({@link Result#chanceAgreement}, what the value distributions alone give,
 * e.g. ~0.2-0.3 for two independent N(0, 0.05) tensors), and the mean number of equal leading
 * bits. Pass/fail is {@code agreement >= minAgreement}.
 *
 * <p>Default 0.6, from measurement (ThresholdCalibrationTest: w ~ N(0, 0.05), 200k elements,
 * w + lr * N(0, 1), "XOR + byte planes + zstd -3" against "byte planes + zstd -3" alone): the
 * XOR delta breaks even at an agreement of ~0.45-0.5 (lr 0.03-0.05, relative update 60-100%),
 * gains 2% (F32) / 5% (BF16) at ~0.6 and 5% / 12% at ~0.72 (lr 0.01), and loses below. Fine-tunes
 * of one base measure 0.71-0.96 at lr 1e-2..1e-3; unrelated tensors of the same shape and
 * distribution ~0.2. Below 0.6 a base buys too little to be worth a dependency in the chain.
 *
 * <p>For integer dtypes whose values are all small, and for constant tensors, the high bytes
 * agree whatever the pairing (chance agreement near 1): such a candidate passes but gains little;
 * the codec's per-chunk choice (which includes "no delta") settles it.
 */
public final class SimilarityCheck {
    /** Default {@link #minAgreement()}. */
    public static final double DEFAULT_MIN_AGREEMENT = 0.6;

    private final double minAgreement;

    public SimilarityCheck() {
        this(DEFAULT_MIN_AGREEMENT);
    }

    public SimilarityCheck(double minAgreement) {
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("minimum agreement must be in [0, 1]: " + minAgreement);
        }
        this.minAgreement = minAgreement;
    }

    public double minAgreement() {
        return minAgreement;
    }

    /**
     * What the check measured.
     *
     * @param samples          units compared
     * @param agreement        fraction with equal most significant byte
     * @param top16Agreement   fraction with equal top two bytes (= agreement for 1-byte units)
     * @param meanEqualLeadingBits mean count of equal leading bits (within the compared bytes)
     * @param chanceAgreement  {@code agreement} with the candidate's samples paired to other positions
     * @param similar          {@code agreement >= minAgreement} (false when nothing was compared)
     */
    public record Result(int samples, double agreement, double top16Agreement, double meanEqualLeadingBits,
                         double chanceAgreement, boolean similar) {
    }

    /**
     * Compares two samples of whole units (little-endian, {@code unitBytes} each, as
     * {@link SketchBuilder#sampleBytes()} or reads at {@link SamplePlan#byteOffset} give them).
     */
    public Result compare(DType dtype, byte[] a, byte[] b) {
        return compare(a, b, ElementBits.unitBytes(dtype));
    }

    /**
     * Compares the check bytes of two sketches.
     *
     * @throws IllegalArgumentException if they differ in dtype or element count
     */
    public Result compare(TensorSketch a, TensorSketch b) {
        if (!a.comparable(b)) {
            throw new IllegalArgumentException("sketches of " + a.dtype() + " x" + a.elementCount() + " and "
                    + b.dtype() + " x" + b.elementCount() + " are not comparable");
        }
        return compare(a.checkBytesShared(), b.checkBytesShared(), TensorSketch.checkWidth(a.dtype()));
    }

    /** Compares two arrays of little-endian units of {@code width} bytes. */
    public Result compare(byte[] a, byte[] b, int width) {
        if (width <= 0 || a.length != b.length || a.length % width != 0) {
            throw new IllegalArgumentException("samples of " + a.length + " and " + b.length
                    + " bytes are not the same number of " + width + "-byte units");
        }
        int n = a.length / width;
        if (n == 0) {
            return new Result(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, false);
        }
        int top = width - 1;
        int lead = Math.min(8, width);
        int shift = n / 2;
        long equalTop = 0;
        long equalTop16 = 0;
        long leadingBits = 0;
        long chance = 0;
        for (int i = 0; i < n; i++) {
            int ia = i * width;
            int ib = ((i + shift) % n) * width;
            if (a[ia + top] == b[ia + top]) {
                equalTop++;
                if (width == 1 || a[ia + top - 1] == b[ia + top - 1]) {
                    equalTop16++;
                }
            }
            if (a[ia + top] == b[ib + top]) {
                chance++;
            }
            long x = ElementBits.loadLE(a, ia + width - lead, lead) ^ ElementBits.loadLE(b, ia + width - lead, lead);
            leadingBits += x == 0 ? 8 * lead : Long.numberOfLeadingZeros(x) - (64 - 8 * lead);
        }
        double agreement = (double) equalTop / n;
        return new Result(n, agreement, (double) equalTop16 / n, (double) leadingBits / n, (double) chance / n,
                agreement >= minAgreement);
    }
}
