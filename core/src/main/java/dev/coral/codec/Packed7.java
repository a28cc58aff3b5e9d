package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The {@link PlaneMode#PACKED7} body: a plane whose every byte has bit 6 clear, stored in seven
 * bits per byte (bit 7 and bits 5-0). Byte i of the plane is bits {@code [7i, 7i + 7)} of the
 * body read as one little-endian bit string, its bit 7 the highest of them; the body is
 * {@link #bytes}(n) bytes and the bits past the last byte's are zero. Eight bytes go into seven by
 * closing the gap at bit 6, then three shift-and-mask steps on a long (the plane's words in
 * halves, quarters, eighths), and back.
 *
 * <p>What it is for: plane 1 of a keyframe in the mantissa-bit layout
 * ({@link ChunkFormat#FLAG_MANTISSA_BIT}) holds the exponent's top bit in bit 6, which is 0 in
 * every element under 2 in magnitude, beside the sign and six near-random mantissa bits: Huffman
 * could code it to seven bits too, at several times the cost of this.
 */
final class Packed7 {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_56 = 0x00FFFFFFFFFFFFFFL;
    private static final long BIT6 = 0x4040404040404040L;
    private static final long BIT7 = 0x8080808080808080L;
    private static final long LOW6 = 0x3F3F3F3F3F3F3F3FL;

    private Packed7() {
    }

    /** Bytes of the body of a plane of n bytes: ceil(7n / 8). */
    static int bytes(int n) {
        return (int) ((7L * n + 7) / 8);
    }

    /** True when every byte of {@code a[off, off+n)} has bit 6 clear. */
    static boolean fits(byte[] a, int off, int n) {
        long or = 0;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            or |= (long) LONG.get(a, off + i);
        }
        for (; i < n; i++) {
            or |= a[off + i] & 0xFF;
        }
        return (or & BIT6) == 0;
    }

    /**
     * Packs {@code src[off, off+n)}, every byte with bit 6 clear (the caller has checked: a set bit
     * 6 would be lost), into {@code dst[at, at + bytes(n))}. Writes nothing past that.
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
            int b = src[off + i];
            acc |= (long) (b & 0x3F | b >>> 1 & 0x40) << bits;
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
        int i = 0;
        int q = at;
        // eight bytes read per group of seven: the last full group is left to the loop below
        for (int limit = n - 15; i < limit; i += 8, q += 7) {
            LONG.set(dst, off + i, spread((long) LONG.get(src, q) & LOW_56));
        }
        long acc = 0;
        int bits = 0;
        for (; i < n; i++) {
            if (bits < 7) {
                acc |= (long) (src[q++] & 0xFF) << bits;
                bits += 8;
            }
            int u = (int) acc & 0x7F;
            dst[off + i] = (byte) (u & 0x3F | u << 1 & 0x80);
            acc >>>= 7;
            bits -= 7;
        }
        if (acc != 0) {
            throw new CorruptObjectException("PACKED7 plane body has bits set past its last byte");
        }
    }

    /** Eight bytes with bit 6 clear (a little-endian long) as 56 bits: byte i's bits 7, 5-0 at [7i, 7i+7). */
    static long squeeze(long v) {
        long t = v & LOW6 | v >>> 1 & BIT6;
        t = (t & 0x007F007F007F007FL) | (t >>> 1 & 0x3F803F803F803F80L);
        t = (t & 0x00003FFF00003FFFL) | (t >>> 2 & 0x0FFFC0000FFFC000L);
        return (t & 0x000000000FFFFFFFL) | (t >>> 4 & 0x00FFFFFFF0000000L);
    }

    /** The inverse of {@link #squeeze}: 56 bits (the top 8 zero) as eight bytes with bit 6 clear. */
    static long spread(long t) {
        t = (t & 0x000000000FFFFFFFL) | (t << 4 & 0x0FFFFFFF00000000L);
        t = (t & 0x00003FFF00003FFFL) | (t << 2 & 0x3FFF00003FFF0000L);
        t = (t & 0x007F007F007F007FL) | (t << 1 & 0x7F007F007F007F00L);
        return t & LOW6 | t << 1 & BIT7;
    }
}
