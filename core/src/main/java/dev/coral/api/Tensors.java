package dev.coral.api;

import dev.coral.format.HeapInputStream;
import dev.coral.format.TensorSource;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/** Makes {@link TensorSource}s from memory for {@link Repository#stageTensors}. */
public final class Tensors {
    private Tensors() {
    }

    /**
     * A tensor whose little-endian bytes are the remaining bytes of {@code data} (not copied;
     * do not change them until staged).
     */
    public static TensorSource of(String name, TensorSpec spec, ByteBuffer data) {
        if (data.remaining() != byteSize(name, spec)) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining() + " bytes given, "
                    + spec + " needs " + spec.byteSize());
        }
        ByteBuffer view = data.slice();
        return source(name, spec, () -> {
            if (view.hasArray()) { // lent in place to chunk ingest, not copied out
                return new HeapInputStream(view.array(), view.arrayOffset() + view.position(), view.remaining());
            }
            ByteBuffer b = view.duplicate();
            return new InputStream() {
                @Override
                public int read() {
                    return b.hasRemaining() ? b.get() & 0xFF : -1;
                }

                @Override
                public int read(byte[] dst, int off, int len) {
                    if (!b.hasRemaining()) {
                        return len == 0 ? 0 : -1;
                    }
                    int n = Math.min(len, b.remaining());
                    b.get(dst, off, n);
                    return n;
                }
            };
        });
    }

    public static TensorSource of(String name, TensorSpec spec, byte[] data) {
        return of(name, spec, ByteBuffer.wrap(data));
    }

    /** The bytes {@code spec} takes; one that is no whole number of bytes, or more than a long, is refused naming the tensor. */
    private static long byteSize(String name, TensorSpec spec) {
        try {
            return spec.byteSize();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + (e instanceof ArithmeticException
                    ? spec + " is more bytes than fit in a long" : e.getMessage()), e);
        }
    }

    /** A tensor whose bytes are the arrays {@code pieces} one after another (not copied): one larger than an array can hold. */
    static TensorSource ofPieces(String name, TensorSpec spec, List<byte[]> pieces) {
        long total = 0;
        for (byte[] p : pieces) {
            total += p.length;
        }
        if (total != spec.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + total + " bytes given, " + spec + " needs " + spec.byteSize());
        }
        List<byte[]> parts = List.copyOf(pieces);
        return source(name, spec, () -> {
            List<InputStream> streams = new ArrayList<>(parts.size());
            for (byte[] p : parts) {
                streams.add(new ByteArrayInputStream(p));
            }
            return new SequenceInputStream(Collections.enumeration(streams));
        });
    }

    /** A tensor named {@code name} of {@code spec} whose every stream {@code streams} opens (not checked against the spec). */
    static TensorSource source(String name, TensorSpec spec, Supplier<InputStream> streams) {
        return new TensorSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public TensorSpec spec() {
                return spec;
            }

            @Override
            public InputStream openStream() {
                return streams.get();
            }
        };
    }
}
