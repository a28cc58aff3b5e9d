package dev.coral.nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Windows onto the native memory of a plain ND4J array (see {@link #isPlain}): its elements in C
 * order, as ByteBuffers of up to {@link #WINDOW_BYTES} bytes, so an array of more than 2 GiB is
 * read and written too (one ByteBuffer holds at most 2^31 - 1 bytes, {@code data().asNio()}
 * included). ND4J keeps elements in the machine's byte order, which is little-endian on every
 * platform it ships native code for; a big-endian machine is refused rather than given swapped
 * bytes. A window is valid only while the array is reachable: its owner keeps the array.
 */
final class NativeBytes {
    /** Bytes of one window at most. */
    static final int WINDOW_BYTES = 1 << 30;

    private NativeBytes() {
    }

    /**
     * Whether {@code a}'s elements are the first {@code length()} elements of its buffer in C
     * order: not a view, no offset, C-order strides (a dimension of 1 may have any stride).
     */
    static boolean isPlain(INDArray a) {
        if (a.isEmpty() || a.isView() || a.offset() != 0 || a.ordering() != 'c') { // offset(): NullPointerException when empty
            return false;
        }
        if (a.data().offset() != 0 || a.data().length() < a.length() || a.data().dataType() != a.dataType()) {
            return false;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** The {@code n} bytes of plain array {@code a} from byte {@code offset}, little-endian. */
    static ByteBuffer window(INDArray a, long offset, int n) {
        requireLittleEndian();
        return new Window(a.data().address() + offset, n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A pointer to native memory that owns nothing: no deallocator (a pointer cast from ND4J's,
     * {@code new BytePointer(a.data().pointer())}, takes one that frees ND4J's memory when
     * closed), and sized in bytes (the cast keeps the typed pointer's element count).
     */
    private static final class Window extends BytePointer {
        Window(long address, long bytes) {
            this.address = address;
            this.limit = bytes;
            this.capacity = bytes;
        }
    }

    static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("dev.coral.nd4j: ND4J arrays on a big-endian machine are not supported");
        }
    }
}
