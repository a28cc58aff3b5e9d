package dev.coral.tensor;

import java.util.Objects;

/**
 * What a tensor's bytes mean: element type, shape, and whether the elements are laid out in
 * Fortran (column-major) order, as a numpy file may store them. The bytes themselves are always
 * little-endian.
 */
public record TensorSpec(DType dtype, Shape shape, boolean fortranOrder) {
    public TensorSpec {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
    }

    public static TensorSpec of(DType dtype, long... dims) {
        return new TensorSpec(dtype, Shape.of(dims), false);
    }

    /** Bytes of the whole tensor. */
    public long byteSize() {
        return dtype.byteSize(shape.elementCount());
    }
}
