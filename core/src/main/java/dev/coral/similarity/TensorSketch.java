package dev.coral.similarity;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import java.util.Arrays;
import java.util.Objects;

/**
 * A compact, immutable summary of a tensor's content for finding a similar stored tensor to
 * delta-encode against. Built by {@link SketchBuilder}.
 *
 * <p>Definition (format version 1):
 * <ul>
 * <li><b>Sample</b>: the units chosen by {@link SamplePlan} (up to 4096, same positions for
 *     every tensor of the same dtype and element count).
 * <li><b>SimHash</b> (128 bits): each sample {@code k} is a feature
 *     {@code h = mix(k, key)} where {@code key} is the unit's high bits ({@link #keyBits}): its top byte for F16, BF16 and F32 (the byte an
 *     XOR delta against a good base zeroes, and in measurements the key that separates
 *     fine-tunes from unrelated tensors best; keeping 1-2 more bits halves the margin), sign and
 *     top 10 exponent bits for F64, the whole unit for every other dtype. Bit {@code b} of the SimHash is 1 when more features have bit {@code b}
 *     set than clear. When a fraction {@code f} of the sampled elements agree in their high
 *     bits, the expected Hamming distance is {@code 128 * arccos(f) / pi}: 0 for identical
 *     samples, ~64 for unrelated ones.
 * <li><b>Statistics</b> of the sample (count of finite, NaN, infinite and zero values; mean,
 *     standard deviation, min and max of the finite values; NaN where undefined) for numeric
 *     dtypes; for complex, F128 and sub-byte dtypes only the sample count.
 * <li><b>Check bytes</b>: the top {@code min(2, unitBytes)} bytes (little-endian order, as in
 *     the tensor) of up to 256 samples spread evenly over the sample, enough for
 *     {@link SimilarityCheck} to estimate the fraction of equal high bytes without reading the
 *     candidate tensor.
 * </ul>
 * About 600 bytes serialized.
 */
public final class TensorSketch {
    /** Version of the sketch definition and of its serialized form. */
    public static final int FORMAT_VERSION = 1;
    /** Most samples kept as check bytes. */
    public static final int MAX_CHECK_SAMPLES = 256;

    /** Statistics of the sampled values. */
    public record Stats(int sampled, int finite, int nan, int infinite, int zero,
                       double mean, double std, double min, double max) {
    }

    private final DType dtype;
    private final Shape shape;
    private final int sampleCount;
    private final Stats stats;
    private final long hashHi;
    private final long hashLo;
    private final byte[] checkBytes;

    TensorSketch(DType dtype, Shape shape, int sampleCount, Stats stats, long hashHi, long hashLo, byte[] checkBytes) {
        this.dtype = Objects.requireNonNull(dtype);
        this.shape = Objects.requireNonNull(shape);
        this.sampleCount = sampleCount;
        this.stats = Objects.requireNonNull(stats);
        this.hashHi = hashHi;
        this.hashLo = hashLo;
        this.checkBytes = checkBytes;
    }

    /**
     * Bits of an element's SimHash key, from the sign bit down: 8 (the top byte) for F16, BF16
     * and F32, 11 for F64; 0 means the whole unit (every other dtype).
     */
    public static int keyBits(DType t) {
        return ElementBits.floatKeyBits(t);
    }

    /** Number of check samples for {@code sampleCount} samples. */
    static int checkCount(int sampleCount) {
        return Math.min(sampleCount, MAX_CHECK_SAMPLES);
    }

    /** Sample index of check sample {@code j}. */
    static int checkSampleIndex(int j, int sampleCount) {
        return (int) ((long) j * sampleCount / checkCount(sampleCount));
    }

    /** Bytes kept per check sample: {@code min(2, unitBytes)}. */
    public static int checkWidth(DType t) {
        return Math.min(2, ElementBits.unitBytes(t));
    }

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public long elementCount() {
        return shape.elementCount();
    }

    /** Units sampled. */
    public int sampleCount() {
        return sampleCount;
    }

    public Stats stats() {
        return stats;
    }

    /** High 64 bits of the SimHash. */
    public long simHashHi() {
        return hashHi;
    }

    /** Low 64 bits of the SimHash. */
    public long simHashLo() {
        return hashLo;
    }

    /** The check bytes (a copy): {@link #checkWidth} bytes for each check sample. */
    public byte[] checkBytes() {
        return checkBytes.clone();
    }

    byte[] checkBytesShared() {
        return checkBytes;
    }

    /** Hamming distance of the two SimHashes, 0..128. */
    public int distance(TensorSketch o) {
        return Long.bitCount(hashHi ^ o.hashHi) + Long.bitCount(hashLo ^ o.hashLo);
    }

    /** Whether {@code o} may be a delta base: same dtype and element count (hence byte length). */
    public boolean comparable(TensorSketch o) {
        return dtype == o.dtype && elementCount() == o.elementCount();
    }

    /** The SimHash as 32 hex digits. */
    public String simHashHex() {
        return String.format("%016x%016x", hashHi, hashLo);
    }

    /** Serialized form, {@code FORMAT_VERSION} first. */
    public byte[] encode() {
        BinaryWriter w = new BinaryWriter();
        w.u8(FORMAT_VERSION).string(dtype.name()).varInt(shape.rank());
        for (long d : shape.dims()) {
            w.varLong(d);
        }
        w.varInt(sampleCount)
                .varInt(stats.finite()).varInt(stats.nan()).varInt(stats.infinite()).varInt(stats.zero())
                .i64(Double.doubleToRawLongBits(stats.mean()))
                .i64(Double.doubleToRawLongBits(stats.std()))
                .i64(Double.doubleToRawLongBits(stats.min()))
                .i64(Double.doubleToRawLongBits(stats.max()))
                .i64(hashHi).i64(hashLo)
                .blob(checkBytes);
        return w.toByteArray();
    }

    /** Reads what {@link #encode()} wrote, validating every field. */
    public static TensorSketch decode(byte[] bytes, String source) throws CorruptObjectException, UnsupportedVersionException {
        BinaryReader r = new BinaryReader(bytes, source);
        TensorSketch s = read(r);
        r.expectEnd();
        return s;
    }

    static TensorSketch read(BinaryReader r) throws CorruptObjectException, UnsupportedVersionException {
        int version = r.u8();
        if (version != FORMAT_VERSION) {
            throw new UnsupportedVersionException(r.source() + ": sketch format version " + version
                    + " not supported (this Coral reads " + FORMAT_VERSION + ")");
        }
        try {
            DType dtype = DType.fromCoralName(r.string());
            int rank = r.varInt();
            if (rank > 64) {
                throw new CorruptObjectException(r.source() + ": sketch of rank " + rank);
            }
            long[] dims = new long[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = r.varLong();
            }
            Shape shape = Shape.of(dims);
            int expected = SamplePlan.sampleCount(dtype, shape.elementCount());
            int sampleCount = r.varInt();
            if (sampleCount != expected) {
                throw new CorruptObjectException(r.source() + ": sketch has " + sampleCount + " samples, its shape needs " + expected);
            }
            int finite = r.varInt();
            int nan = r.varInt();
            int inf = r.varInt();
            int zero = r.varInt();
            if ((long) finite + nan + inf > sampleCount || zero > finite) {
                throw new CorruptObjectException(r.source() + ": sketch statistics do not add up");
            }
            Stats stats = new Stats(sampleCount, finite, nan, inf, zero,
                    Double.longBitsToDouble(r.i64()), Double.longBitsToDouble(r.i64()),
                    Double.longBitsToDouble(r.i64()), Double.longBitsToDouble(r.i64()));
            long hi = r.i64();
            long lo = r.i64();
            byte[] check = r.blob();
            if (check.length != checkCount(sampleCount) * checkWidth(dtype)) {
                throw new CorruptObjectException(r.source() + ": sketch has " + check.length + " check bytes, expected "
                        + checkCount(sampleCount) * checkWidth(dtype));
            }
            return new TensorSketch(dtype, shape, sampleCount, stats, hi, lo, check);
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(r.source() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorSketch)) {
            return false;
        }
        TensorSketch s = (TensorSketch) o;
        return dtype == s.dtype && shape.equals(s.shape) && sampleCount == s.sampleCount && stats.equals(s.stats)
                && hashHi == s.hashHi && hashLo == s.hashLo && Arrays.equals(checkBytes, s.checkBytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, shape, hashHi, hashLo);
    }

    @Override
    public String toString() {
        return "TensorSketch[" + dtype + " " + shape + " simhash=" + simHashHex() + " " + stats + "]";
    }
}
