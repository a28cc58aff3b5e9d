package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.CRC32;

/** Copying helpers that insist a tensor stream yields exactly the bytes its spec promises. */
public final class Streams {
    private Streams() {
    }

    /**
     * Copies exactly {@code n} bytes of {@code in} to {@code out} (or only checks them when
     * {@code out} is null), feeding {@code crc} if given. Through {@link InputStream#transferTo}:
     * a stream holding its bytes in blocks (a stored tensor's decoded chunks) writes them as they
     * are, without a copy through a buffer of this method's.
     *
     * @throws BadInputException if {@code in} has fewer or more than {@code n} bytes
     */
    static void copyExactly(InputStream in, OutputStream out, CRC32 crc, long n, String what) throws IOException {
        ExactLengthSink sink = new ExactLengthSink(out, crc, n, what);
        in.transferTo(sink);
        if (sink.left > 0) {
            throw new BadInputException(what + ": stream ended after " + (n - sink.left) + " of " + n + " bytes");
        }
    }

    /** Passes on at most {@code n} bytes, feeding a CRC; more is an error naming the tensor. */
    private static final class ExactLengthSink extends OutputStream {
        private final OutputStream out;
        private final CRC32 crc;
        private final long n;
        private final String what;
        long left;

        ExactLengthSink(OutputStream out, CRC32 crc, long n, String what) {
            this.out = out;
            this.crc = crc;
            this.n = n;
            this.what = what;
            this.left = n;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > left) {
                throw new BadInputException(what + ": stream has more than the expected " + n + " bytes");
            }
            if (out != null) {
                out.write(b, off, len);
            }
            if (crc != null) {
                crc.update(b, off, len);
            }
            left -= len;
        }
    }

    /** The tensor's stream; a source that gives none (null) is refused naming {@code where} and the tensor. */
    public static InputStream open(TensorSource source, String where) throws IOException {
        InputStream in = source.openStream();
        if (in == null) {
            throw new BadInputException(where + ": tensor '" + source.name() + "': its source's openStream() gave null");
        }
        return in;
    }

    /**
     * Opens {@code source} and copies its {@code spec().byteSize()} bytes, swapping units if asked;
     * fewer or more bytes is a {@link BadInputException} naming {@code where} and the tensor.
     */
    public static void copyTensor(TensorSource source, OutputStream out, CRC32 crc, boolean swap, String where) throws IOException {
        try (InputStream in = ByteSwappingInputStream.wrap(open(source, where), source.spec().dtype().swapUnitBytes(), swap)) {
            copyExactly(in, out, crc, source.spec().byteSize(), where + ": tensor '" + source.name() + "'");
        }
    }
}
