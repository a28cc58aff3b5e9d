package dev.coral.diff;

/**
 * How two versions of a tensor of the same dtype and shape differ, element by element (d = to -
 * from). {@code changed}: elements whose bits differ (-1 for the sub-byte dtypes, whose elements
 * are not counted: then only whether any byte differs is known). The values (NaN for dtypes
 * without values, see {@link dev.coral.tensor.ElementValues}) are over the elements finite on both sides;
 * {@code nonFinite} counts the changed elements that are NaN or infinite on either side, left out
 * of them. {@code cosine} is NaN when either side's finite elements are all zero.
 */
public record TensorStats(long elements, long changed, long nonFinite, double maxAbsDiff, double l2Diff, double l2From,
                          double l2To, double cosine) {
    /** Whether the two versions have the same bits. */
    public boolean identical() {
        return changed == 0;
    }

    /** ||d|| / ||from||: NaN when from's finite elements are all zero, their norm overflows, or there are no values. */
    public double relativeL2() {
        return l2From > 0 && Double.isFinite(l2From) ? l2Diff / l2From : Double.NaN;
    }

    /** Whether the dtype has values (max |d|, L2 norms and cosine are numbers). */
    public boolean hasValues() {
        return !Double.isNaN(l2From);
    }
}
