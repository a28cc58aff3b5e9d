package dev.coral.similarity;

import dev.coral.tensor.DType;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which units of a tensor a {@link TensorSketch} samples: a function of dtype and element count
 * only, so two tensors of the same dtype and size sample the same positions and their samples
 * can be compared element by element.
 *
 * <p>Definition (sketch format version 1): with {@code n} units and {@code S = min(n, 4096)}
 * samples, sample {@code k} is unit {@code lo + mix64(SEED + k) mod (hi - lo)} of the stratum
 * {@code [lo, hi) = [floor(k n / S), floor((k+1) n / S))}. Strata are disjoint, so positions are
 * strictly increasing and spread over the whole tensor; the jitter inside a stratum keeps a
 * regular stride from landing on one column of a matrix again and again. With {@code n <= 4096}
 * every unit is sampled.
 *
 * <p>The plan also lets a caller with random access (a file on disk) read just the sampled
 * bytes, {@link #size()} reads of {@link #unitBytes()} bytes at {@link #byteOffset(int)}, instead
 * of streaming the whole tensor: the sketch of a many-GiB tensor is then known before its chunks
 * are encoded, in time to choose a delta base for them.
 */
public final class SamplePlan {
    /** Most units a sketch samples. */
    public static final int MAX_SAMPLES = 4096;
    static final long SEED = 0x436F72616C53696DL; // "CoralSim"

    private final DType dtype;
    private final long elementCount;
    private final int unitBytes;
    private final long unitCount;
    private final long[] units;

    private SamplePlan(DType dtype, long elementCount) {
        this.dtype = dtype;
        this.elementCount = elementCount;
        this.unitBytes = ElementBits.unitBytes(dtype);
        this.unitCount = ElementBits.unitCount(dtype, elementCount);
        int s = (int) Math.min(unitCount, MAX_SAMPLES);
        this.units = new long[s];
        if (unitCount <= MAX_SAMPLES) {
            for (int k = 0; k < s; k++) {
                units[k] = k;
            }
        } else {
            long q = unitCount / s;
            long r = unitCount % s;
            for (int k = 0; k < s; k++) {
                long lo = k * q + (k * r) / s;
                long hi = (k + 1) * q + ((k + 1) * r) / s;
                units[k] = lo + Long.remainderUnsigned(Mix.mix64(SEED + k), hi - lo);
            }
        }
    }

    /**
     * The plan for a tensor of {@code elementCount} elements of {@code dtype}.
     *
     * @throws IllegalArgumentException if sub-byte elements do not fill whole bytes
     */
    public static SamplePlan of(DType dtype, long elementCount) {
        if (elementCount < 0) {
            throw new IllegalArgumentException("negative element count " + elementCount);
        }
        ShapeKey key = new ShapeKey(dtype, elementCount);
        SamplePlan plan = RECENT.get(key);
        if (plan == null) {
            plan = new SamplePlan(dtype, elementCount);
            RECENT.put(key, plan);
        }
        return plan;
    }

    /**
     * Plans made lately, by dtype and size: a model's tensors share a few shapes, and a plan
     * costs a 64-bit mix and a division per sample (measured: 40 of the 300 us a 100 KB fp32
     * tensor's sketch took). Plans are immutable, so they are shared across threads.
     */
    private static final int RECENT_PLANS = 64;
    private static final Map<ShapeKey, SamplePlan> RECENT = Collections.synchronizedMap(new LinkedHashMap<>(RECENT_PLANS, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ShapeKey, SamplePlan> eldest) {
            return size() > RECENT_PLANS;
        }
    });

    /** {@code of(dtype, elementCount).size()} without computing the positions. */
    public static int sampleCount(DType dtype, long elementCount) {
        return (int) Math.min(ElementBits.unitCount(dtype, elementCount), MAX_SAMPLES);
    }

    public DType dtype() {
        return dtype;
    }

    public long elementCount() {
        return elementCount;
    }

    /** Bytes of one unit: the element size, or the alignment group of a sub-byte dtype. */
    public int unitBytes() {
        return unitBytes;
    }

    /** Units in the tensor. */
    public long unitCount() {
        return unitCount;
    }

    /** Number of sampled units. */
    public int size() {
        return units.length;
    }

    /** The unit index of sample {@code k}; increasing in {@code k}. */
    public long unit(int k) {
        return units[k];
    }

    /** Byte offset of sample {@code k} in the tensor's little-endian bytes. */
    public long byteOffset(int k) {
        return units[k] * unitBytes;
    }

    /** The first sample whose unit index is at least {@code unit} ({@link #size()} if none). */
    int firstSampleAtOrAfter(long unit) {
        int i = Arrays.binarySearch(units, unit);
        return i >= 0 ? i : -i - 1;
    }
}
