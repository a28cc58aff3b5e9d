package dev.coral.nd4j;

import dev.coral.format.TensorSource;
import dev.coral.tensor.TensorSpec;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tensor whose bytes are a plain ND4J array's ({@link NativeBytes#isPlain}), streamed from its
 * native memory without a copy, or no bytes for an empty array. Holds the array, so that its
 * memory is not freed while the tensor is read.
 */
final class ArrayTensor implements TensorSource {
    private final String name;
    private final TensorSpec spec;
    private final INDArray array;
    private final long bytes;
    private final int windowBytes;

    ArrayTensor(String name, TensorSpec spec, INDArray array, int windowBytes) {
        this.name = name;
        this.spec = spec;
        this.array = array;
        this.bytes = spec.byteSize();
        this.windowBytes = windowBytes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TensorSpec spec() {
        return spec;
    }

    /** The array whose bytes this tensor streams (tests). */
    INDArray array() {
        return array;
    }

    @Override
    public InputStream openStream() {
        return new InputStream() {
            private long next; // bytes of the array before the window
            private ByteBuffer window = ByteBuffer.allocate(0);

            private boolean fill() {
                if (window.hasRemaining()) {
                    return true;
                }
                if (next >= bytes) {
                    return false;
                }
                int n = (int) Math.min(windowBytes, bytes - next);
                window = NativeBytes.window(array, next, n);
                next += n;
                return true;
            }

            @Override
            public int read() {
                return fill() ? window.get() & 0xFF : -1;
            }

            @Override
            public int read(byte[] dst, int off, int len) {
                java.util.Objects.checkFromIndexSize(off, len, dst.length);
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, window.remaining());
                window.get(dst, off, n);
                return n;
            }

            @Override
            public long skip(long n) {
                long done = 0;
                while (done < n && fill()) {
                    int k = (int) Math.min(n - done, window.remaining());
                    window.position(window.position() + k);
                    done += k;
                }
                return done;
            }
        };
    }
}
