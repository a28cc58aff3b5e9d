package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.CRC32;

/** Copying helpers that insist a tensor stream yields exactly the bytes its spec promises. */
final class Streams {
    private static final int BUFFER = 1 << 16;

    private Streams() {
    }

    /**
     * Copies exactly {@code n} bytes of {@code in} to {@code out} (or only checks them when
     * {@code out} is null), feeding {@code crc} if given.
     *
     * @throws BadInputException if {@code in} has fewer or more than {@code n} bytes
     */
    static void copyExactly(InputStream in, OutputStream out, CRC32 crc, long n, String what) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(1, n))];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new BadInputException(what + ": stream ended after " + (n - left) + " of " + n + " bytes");
            }
            if (out != null) {
                out.write(buf, 0, r);
            }
            if (crc != null) {
                crc.update(buf, 0, r);
            }
            left -= r;
        }
        if (in.read() >= 0) {
            throw new BadInputException(what + ": stream has more than the expected " + n + " bytes");
        }
    }

    /** Opens {@code source} and copies its {@code spec().byteSize()} bytes, swapping units if asked. */
    static void copyTensor(TensorSource source, OutputStream out, CRC32 crc, boolean swap, String where) throws IOException {
        try (InputStream in = ByteSwappingInputStream.wrap(
                source.openStream(), source.spec().dtype().swapUnitBytes(), swap)) {
            copyExactly(in, out, crc, source.spec().byteSize(), where + ": tensor '" + source.name() + "'");
        }
    }
}
