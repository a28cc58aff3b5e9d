package dev.coral.similarity;

import dev.coral.tensor.DType;

/**
 * A tensor's dtype and element count, as a map key (the sketch index's groups, the sample plans
 * kept). Its equals and hash code are written out, as {@code ObjectStore.FileStamp}'s: a record's
 * own are bootstrapped at their first call (method handles spun at run time). Measured with
 * async-profiler, the record keys' bootstraps took 40-48 ms of the CPU of a command-line
 * {@code add} of an 84 MB file (three runs).
 */
record ShapeKey(DType dtype, long elementCount) {
    @Override
    public boolean equals(Object o) {
        return o instanceof ShapeKey k && dtype == k.dtype && elementCount == k.elementCount;
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Long.hashCode(elementCount);
    }
}
