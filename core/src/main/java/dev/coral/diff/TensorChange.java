package dev.coral.diff;

import dev.coral.tensor.TensorSpec;

/**
 * One tensor of a file, from one version to the other. {@code from} / {@code to}: its dtype and
 * shape on each side (null where it is absent); {@code stats}: the element-wise comparison, only
 * for a tensor of the same dtype and shape on both sides whose bits were read (null when its
 * stored ids showed it unchanged without reading it).
 */
public record TensorChange(String name, Kind kind, TensorSpec from, TensorSpec to, TensorStats stats) {
    /** What happened to the tensor. */
    public enum Kind {
        /** Only in the newer version. */
        ADDED,
        /** Only in the older version. */
        REMOVED,
        /** Same dtype and shape, other values. */
        MODIFIED,
        /** Another dtype (and perhaps shape): not compared element by element. */
        RETYPED,
        /** Same dtype, another shape: not compared element by element. */
        RESHAPED,
        /** The same bits. */
        UNCHANGED;

        /** The word output uses for it: lower case. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
