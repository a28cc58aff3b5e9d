package dev.coral.store;

import java.nio.ByteBuffer;

/**
 * Binary search over fixed-size entries that start with a 32-byte id, sorted by id, as pack
 * indexes and the multi-pack index hold them. Compares four big-endian words in place: no copy
 * of the probed ids.
 */
final class SortedIds {
    private SortedIds() {
    }

    /**
     * The index in {@code [lo, hi]} of the entry whose id is {@code id}, or -1.
     *
     * @param entries big-endian buffer whose entry {@code i} starts at {@code i * entryBytes}
     */
    static int search(ByteBuffer entries, int entryBytes, int lo, int hi, ObjectId id) {
        long w0 = id.word(0);
        long w1 = id.word(1);
        long w2 = id.word(2);
        long w3 = id.word(3);
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareAt(entries, mid * entryBytes, w0, w1, w2, w3);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Compares the id at {@code pos} of {@code buf} with the id whose words are given. */
    static int compareAt(ByteBuffer buf, int pos, long w0, long w1, long w2, long w3) {
        int c = Long.compareUnsigned(buf.getLong(pos), w0);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(buf.getLong(pos + 8), w1);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(buf.getLong(pos + 16), w2);
        return c != 0 ? c : Long.compareUnsigned(buf.getLong(pos + 24), w3);
    }

    /** Compares the ids at {@code posA} of {@code a} and {@code posB} of {@code b}. */
    static int compare(ByteBuffer a, int posA, ByteBuffer b, int posB) {
        return compareAt(a, posA, b.getLong(posB), b.getLong(posB + 8), b.getLong(posB + 16), b.getLong(posB + 24));
    }

    /** Whether the id at {@code pos} of {@code buf} starts with the hex digits {@code nibbles}. */
    static boolean startsWith(ByteBuffer buf, int pos, byte[] nibbles) {
        for (int i = 0; i < nibbles.length; i++) {
            int b = buf.get(pos + i / 2) & 0xFF;
            int n = (i & 1) == 0 ? b >>> 4 : b & 0xF;
            if (n != nibbles[i]) {
                return false;
            }
        }
        return true;
    }

    /** The hex digits of {@code hexPrefix} as values 0..15; lower-case only, as ids print. */
    static byte[] nibbles(String hexPrefix) {
        if (hexPrefix.length() > 2 * ObjectId.BYTES || !hexPrefix.isEmpty() && !ObjectId.isHex(hexPrefix)) {
            throw new IllegalArgumentException("not a lower-case hex id prefix: " + hexPrefix);
        }
        byte[] out = new byte[hexPrefix.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Character.digit(hexPrefix.charAt(i), 16);
        }
        return out;
    }
}
