package dev.coral.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape. A 0-d shape (scalar) has one element; any zero dimension makes an
 * empty tensor. The element count is checked for {@code long} overflow on construction, so a
 * header that lies with a huge shape fails here rather than later.
 */
public final class Shape {
    private final long[] dims;
    private final long elementCount;

    private Shape(long[] dims) {
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in shape " + Arrays.toString(dims));
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more elements than fit in a long");
            }
        }
        this.dims = dims;
        this.elementCount = count;
    }

    public static Shape of(long... dims) {
        return new Shape(dims.clone());
    }

    public static Shape scalar() {
        return new Shape(new long[0]);
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int axis) {
        return dims[axis];
    }

    public long[] dims() {
        return dims.clone();
    }

    public long elementCount() {
        return elementCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [2, 3]}; a scalar prints as {@code []}. */
    @Override
    public String toString() {
        return Arrays.toString(dims).replace(" ", "");
    }
}
