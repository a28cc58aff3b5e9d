package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The {@link PlaneMode#PACKED7} body: a plane whose every byte is below 128, stored in seven bits
 * per byte. Byte i of the plane is bits {@code [7i, 7i + 7)} of the body read as one little-endian
 * bit string; the body is {@link #bytes}(n) bytes and the bits past the last byte's are zero.
 * Eight bytes go into seven by three shift-and-mask steps on a long (the plane's words in
 * halves, quarters, eighths), and back.
 *
 * <p>What it is for: plane 1 of a keyframe in the mantissa-bit layout
 * ({@link ChunkFormat#FLAG_MANTISSA_BIT}) holds the exponent's top bit, which is 0 in every
 * element under 2 in magnitude, above the sign and six near-random mantissa bits: Huffman could
 * code it to seven bits too, at several times the cost of this.
 */
final class Packed7 {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_56 = 0x00FFFFFFFFFFFFFFL;

    private Packed7() {
    }

    /** Bytes of the body of a plane of n bytes: ceil(7n / 8). */
    static int bytes(int n) {
        return (int) ((7L * n + 7) / 8);
    }

    /** True when every byte of {@code a[off, off+n)} is below 128. */
    static boolean fits(byte[] a, int off, int n) {
        long or = 0;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            or |= (long) LONG.get(a, off + i);
        }
        for (; i < n; i++) {
            or |= a[off + i];
        }
        return (or & 0x8080808080808080L) == 0;
    }

    /**
     * Packs {@code src[off, off+n)}, every byte below 128 (the caller has checked: a byte of 128 or
     * more would lose its top bit), into {@code dst[at, at + bytes(n))}. Writes nothing past that.
     */
    static void pack(byte[] src, int off, int n, byte[] dst, int at) {
        int groups = n / 8;
        int g = 0;
        // each group's 8-byte write runs one byte past its seven: the last group is written apart
        for (int limit = groups - 1; g < limit; g++) {
            LONG.set(dst, at + 7 * g, squeeze((long) LONG.get(src, off + 8 * g)));
        }
        long acc = 0;
        int bits = 0;
        int q = at + 7 * g;
        for (int i = 8 * g; i < n; i++) {
            acc |= (long) (src[off + i] & 0x7F) << bits;
            bits += 7;
            while (bits >= 8) {
                dst[q++] = (byte) acc;
                acc >>>= 8;
                bits -= 8;
            }
        }
        if (bits > 0) {
            dst[q] = (byte) acc;
        }
    }

    /**
     * Unpacks the body {@code src[at, at+len)} into {@code dst[off, off+n)}. A body of another
     * length than {@link #bytes}(n), or with a bit set past the last byte's, is corrupt.
     */
    static void unpack(byte[] src, int at, int len, byte[] dst, int off, int n) throws CorruptObjectException {
        if (len != bytes(n)) {
            throw new CorruptObjectException("PACKED7 plane body of " + len + " bytes for " + n + " bytes, expected " + bytes(n));
        }
        int groups = n / 8;
        int g = 0;
        // each group's 8-byte read runs one byte past its seven: the last group is read apart
        for (int limit = groups - 1; g < limit; g++) {
            LONG.set(dst, off + 8 * g, spread((long) LONG.get(src, at + 7 * g) & LOW_56));
        }
        long acc = 0;
        int bits = 0;
        int p = at + 7 * g;
        for (int i = 8 * g; i < n; i++) {
            if (bits < 7) {
                acc |= (long) (src[p++] & 0xFF) << bits;
                bits += 8;
            }
            dst[off + i] = (byte) (acc & 0x7F);
            acc >>>= 7;
            bits -= 7;
        }
        if (acc != 0) {
            throw new CorruptObjectException("PACKED7 plane body has bits set past its last byte");
        }
    }

    /** Eight bytes below 128 (a little-endian long) as 56 bits: byte i at bits [7i, 7i+7). */
    static long squeeze(long v) {
        long t = (v & 0x007F007F007F007FL) | (v >>> 1 & 0x3F803F803F803F80L);
        t = (t & 0x00003FFF00003FFFL) | (t >>> 2 & 0x0FFFC0000FFFC000L);
        return (t & 0x000000000FFFFFFFL) | (t >>> 4 & 0x00FFFFFFF0000000L);
    }

    /** The inverse of {@link #squeeze}: 56 bits (the top 8 zero) as eight bytes below 128. */
    static long spread(long t) {
        t = (t & 0x000000000FFFFFFFL) | (t << 4 & 0x0FFFFFFF00000000L);
        t = (t & 0x00003FFF00003FFFL) | (t << 2 & 0x3FFF00003FFF0000L);
        return (t & 0x007F007F007F007FL) | (t << 1 & 0x7F007F007F007F00L);
    }
}
