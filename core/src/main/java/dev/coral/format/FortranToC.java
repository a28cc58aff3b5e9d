package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Re-lays a Fortran-order (column-major) tensor in C order, in memory. Used when exporting to
 * formats that only know C order, and when a diff pairs the elements of a Fortran-order version
 * with a C-order one; limited to {@value #MAX_BYTES} bytes so neither can
 * exhaust the heap.
 */
public final class FortranToC {
    static final long MAX_BYTES = 256L << 20;

    private FortranToC() {
    }

    /** True when Fortran and C order differ for this spec (at least two axes longer than 1). */
    public static boolean needed(TensorSpec spec) {
        if (!spec.fortranOrder()) {
            return false;
        }
        int longAxes = 0;
        for (long d : spec.shape().dims()) {
            if (d == 0) {
                return false;
            }
            if (d > 1) {
                longAxes++;
            }
        }
        return longAxes >= 2;
    }

    /** Checks up front (before anything is written) that {@code source} can be transposed. */
    public static void check(TensorSource source, String where) throws BadInputException {
        TensorSpec spec = source.spec();
        if (!spec.dtype().isByteAligned()) {
            throw new BadInputException(where + ": tensor '" + source.name() + "': Fortran-order " + spec.dtype() + " cannot be transposed");
        }
        if (spec.byteSize() > MAX_BYTES) {
            throw new BadInputException(where + ": tensor '" + source.name() + "' is in Fortran order and "
                    + spec.byteSize() + " bytes; transposing to C order is limited to " + MAX_BYTES + " bytes (export it to npy instead)");
        }
    }

    /** The tensor's bytes in C order. */
    public static InputStream openTransposed(TensorSource source, String where) throws IOException {
        TensorSpec spec = source.spec();
        int size = (int) spec.byteSize();
        byte[] in;
        try (InputStream s = source.openStream()) {
            in = s.readNBytes(size);
            if (in.length != size || s.read() >= 0) {
                throw new BadInputException(where + ": tensor '" + source.name() + "': stream does not have " + size + " bytes");
            }
        }
        return new ByteArrayInputStream(transpose(in, spec.shape().dims(), spec.dtype().elementBytes()));
    }

    /** Column-major {@code in} to row-major; {@code e} is the element size in bytes. */
    static byte[] transpose(byte[] in, long[] dims, int e) {
        int rank = dims.length;
        byte[] out = new byte[in.length];
        long[] fStride = new long[rank]; // element stride of each axis in Fortran order
        long s = 1;
        for (int a = 0; a < rank; a++) {
            fStride[a] = s;
            s *= dims[a];
        }
        long[] idx = new long[rank];
        long src = 0; // element offset in the Fortran layout of the current C-order index
        int n = in.length / e;
        for (int o = 0; o < n; o++) {
            System.arraycopy(in, (int) (src * e), out, o * e, e);
            // odometer over the C-order index: last axis fastest
            for (int a = rank - 1; a >= 0; a--) {
                idx[a]++;
                src += fStride[a];
                if (idx[a] < dims[a]) {
                    break;
                }
                src -= fStride[a] * dims[a];
                idx[a] = 0;
            }
        }
        return out;
    }

    /** Writes {@code t}'s bytes to {@code out} in C order: transposed when its layout is Fortran order, else as they are. */
    static void copyInCOrder(TensorSource t, java.io.OutputStream out, String where) throws IOException {
        if (needed(t.spec())) {
            try (InputStream in = openTransposed(t, where)) {
                in.transferTo(out);
            }
        } else {
            Streams.copyTensor(t, out, null, false, where);
        }
    }
}
