package dev.coral.codec;

/**
 * The byte planes of a chunk's XOR delta against its raw base, split ahead on another thread
 * (with its {@link ContextCounts}) while the chunk before is encoded, so that
 * {@link ChunkEncoder} codes the planes without splitting them itself: the split was 16% of the
 * encoding thread's CPU in a training loop's commits, the thread every other one waits for.
 * Measured, 8 Adam steps of an 84 MB fp32 MLP through one handle (steps 3-8, eight runs each in
 * turn, on a day this VM's runs spread 226-270 MB/s): 241 → 245 MB/s on average, medians 235 →
 * 245, the same 481.2 MB stored. For fp32, {@link ContextCounts#countAndSplit} splits them in
 * the pass that makes the counts' keys. Reused from chunk to chunk; one split at a time.
 */
public final class XorPlanesAhead {
    private byte[] planes = new byte[0];
    private int n = -1;
    private int width;

    /**
     * Splits {@code raw[off, off+len)} XOR {@code base} into planes, elements of {@code w} bytes.
     * Returns false (and holds nothing) when it does not apply: a base held as planes, or of
     * another length.
     */
    public boolean split(byte[] raw, int off, int len, int w, ChunkBase base) {
        n = -1;
        if (w < 2 || len % w != 0 || base == null || base.heldAsPlanes() || base.length() != len) {
            return false;
        }
        planes = CodecWorkspace.grow(planes, len);
        PlaneTransform.split(raw, off, base.raw(), base.rawOffset(), len / w, w, PlaneTransform.XOR, planes, 0);
        width = w;
        n = len / w;
        return true;
    }

    /** Holds nothing (until {@link #hold}). */
    void clear() {
        n = -1;
    }

    /** The array to split a chunk of {@code len} bytes into, then {@link #hold}. */
    byte[] buffer(int len) {
        planes = CodecWorkspace.grow(planes, len);
        return planes;
    }

    /** Holds the planes of n elements of width w, split into {@link #buffer}. */
    void hold(int elements, int w) {
        n = elements;
        width = w;
    }

    /** The planes, if they are of a chunk of this many elements of width w; else null. */
    byte[] planes(int elements, int w) {
        return n >= 0 && n == elements && width == w ? planes : null;
    }
}
