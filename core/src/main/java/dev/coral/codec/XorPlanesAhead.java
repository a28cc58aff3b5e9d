package dev.coral.codec;

/**
 * The byte planes of a chunk's XOR delta against its raw base, split ahead on another thread
 * (with its {@link ContextCounts}) while the chunk before is encoded, so that
 * {@link ChunkEncoder} codes the planes without splitting them itself: the split was 16% of the
 * encoding thread's CPU in a training loop's commits, the thread every other one waits for.
 * Measured, 8 Adam steps of an 84 MB fp32 MLP through one handle (steps 3-8, eight runs each in
 * turn, on a day this VM's runs spread 226-270 MB/s): 241 → 245 MB/s on average, medians 235 →
 * 245, the same 481.2 MB stored. {@link ContextCounts#countAndSplit} splits them in the pass
 * that makes the counts' keys. Reused from chunk to chunk; one split at a time.
 */
public final class XorPlanesAhead {
    private byte[] planes = new byte[0];
    private int n = -1;
    private int width;

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
