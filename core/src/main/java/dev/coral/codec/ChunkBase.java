package dev.coral.codec;

/**
 * The base chunk a delta is encoded against, held either as raw little-endian elements or as the
 * byte planes a plane-space chain decode leaves ({@link ChunkDecoder#decodeInPlaneSpace}: plane k
 * at {@code planes[k*n, (k+1)*n)}). From planes of the chunk's width an XOR delta is the new
 * chunk's planes XOR the base's, so the base is never merged into elements only to be split
 * again; other uses (a SUB delta, another width) merge it once, on first need.
 */
public final class ChunkBase {
    private final int length;
    private byte[] raw;
    private int rawOff;
    private final byte[] planes;
    private final int width;

    private ChunkBase(int length, byte[] raw, int rawOff, byte[] planes, int width) {
        this.length = length;
        this.raw = raw;
        this.rawOff = rawOff;
        this.planes = planes;
        this.width = width;
    }

    /** The base as raw elements at {@code raw[off, off+length)}. */
    public static ChunkBase ofRaw(byte[] raw, int off, int length) {
        if (off < 0 || length < 0 || off + length > raw.length || off + length < 0) {
            throw new IllegalArgumentException("base range [" + off + ", +" + length + ") outside " + raw.length + " bytes");
        }
        return new ChunkBase(length, raw, off, null, 0);
    }

    /** The base as {@code width} planes of {@code length / width} bytes each at the start of {@code planes}. */
    public static ChunkBase ofPlanes(byte[] planes, int width, int length) {
        if (!ChunkFormat.isValidWidth(width) || length < 0 || length % width != 0 || length > planes.length) {
            throw new IllegalArgumentException("planes of width " + width + " for " + length + " bytes in " + planes.length);
        }
        return new ChunkBase(length, null, 0, planes, width);
    }

    /** Bytes of the base chunk. */
    public int length() {
        return length;
    }

    /** Whether the base is held as planes (not merged into elements yet). */
    public boolean heldAsPlanes() {
        return raw == null;
    }

    /** The base's planes if it is held as planes of width {@code w}; else null. */
    byte[] planesOfWidth(int w) {
        return planes != null && width == w ? planes : null;
    }

    /** The raw elements (merged from the planes on first call); see {@link #rawOffset()}. */
    byte[] raw() {
        if (raw == null) {
            raw = new byte[length];
            rawOff = 0;
            ChunkDecoder.mergePlanes(planes, length, width, raw);
        }
        return raw;
    }

    int rawOffset() {
        raw();
        return rawOff;
    }

    /**
     * Copies raw bytes {@code [from, from+len)} of the base to {@code dst[at...]}, gathering them
     * from the planes when it is held as planes (for the chooser's samples: a few KiB, no merge
     * of the whole chunk). {@code from} and {@code len} are whole elements of the encoder's width.
     */
    public void copyRaw(int from, byte[] dst, int at, int len) {
        if (from < 0 || len < 0 || from + len > length || from + len < 0) {
            throw new IllegalArgumentException("range [" + from + ", +" + len + ") outside a base of " + length + " bytes");
        }
        if (raw == null && (from % width != 0 || len % width != 0)) {
            raw(); // sampled at another element width than the planes'
        }
        if (raw != null) {
            System.arraycopy(raw, rawOff + from, dst, at, len);
            return;
        }
        int w = width;
        int n = length / w;
        int e0 = from / w;
        int count = len / w;
        for (int k = 0; k < w; k++) { // plane 0 holds the most significant bytes
            int src = k * n + e0;
            int to = at + w - 1 - k;
            for (int e = 0; e < count; e++) {
                dst[to + e * w] = planes[src + e];
            }
        }
    }
}
