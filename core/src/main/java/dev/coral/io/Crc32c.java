package dev.coral.io;

import java.util.zip.CRC32C;

/**
 * CRC32C values of concatenations from the values of their parts, so bytes checked by several
 * checksums (a chunk frame's, its pack entry's, the whole pack's) are read once. The method is
 * zlib's {@code crc32_combine} (polynomial arithmetic modulo the CRC's polynomial, here
 * Castagnoli's, reflected 0x82F63B78); like zlib's, it works on finished values, as
 * {@link CRC32C#getValue()} gives them.
 */
public final class Crc32c {
    private static final int POLY = 0x82F63B78;
    /**
     * X2N[k] = x^(2^k) modulo the polynomial, for every k a length of up to 2^63 - 1 bytes needs.
     * Not 32 entries reused cyclically as in zlib: for this polynomial x^(2^32) is not x (checked
     * by the test), so lengths from 512 MiB would come out wrong.
     */
    private static final int[] X2N = new int[3 + 63];

    static {
        int p = 1 << 30; // x^1
        X2N[0] = p;
        for (int k = 1; k < X2N.length; k++) {
            X2N[k] = p = multiply(p, p);
        }
    }

    private Crc32c() {
    }

    /** The CRC32C of {@code b[off, off+len)}. */
    public static int of(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** The CRC32C of A followed by B, from {@code crcA}, {@code crcB} and B's length. */
    public static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("negative length " + lengthB);
        }
        return multiply(xToThe8n(lengthB), crcA) ^ crcB;
    }

    /** a * b modulo the polynomial (bit 31 is x^0: the reflected order the CRC uses). */
    private static int multiply(int a, int b) {
        int m = 1 << 31;
        int p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    return p;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
    }

    /** x^(8n) modulo the polynomial: appending n zero bytes. */
    private static int xToThe8n(long n) {
        int p = 1 << 31; // x^0
        int k = 3;
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multiply(X2N[k], p);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }
}
