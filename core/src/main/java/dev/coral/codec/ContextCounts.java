package dev.coral.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What {@link ContextHuffman} counts of an XOR delta plane before it codes it (the base's
 * contexts, the context groups, each stream's symbol counts per group), counted ahead on
 * another thread from the raw chunk and its raw base, while the encoding thread splits the chunk
 * and codes its other planes. {@link ChunkEncoder} then codes that plane from these counts,
 * to the same bytes. Counted for plane 1 only: the high-mantissa byte of fp32 and the low byte
 * of BF16, the planes context coding wins. Reused from chunk to chunk; one count at a time.
 *
 * <p>Measured (8 Adam steps of an 84 MB fp32 MLP through one handle, steps 2-8, four alternating
 * pairs): 313-339 → 343-363 MB/s; the encoding thread's share in choosing groups and counting
 * fell from 11% to under 2%. Done where the chunk is hashed on the side (a process that commits
 * again): on the thread that decodes the chunk's base ahead, while the chunk before is encoded,
 * when the caller read the chunk ahead (within a tensor); else on the hashing thread, before the
 * hash. There the encoding thread reaches the plane before the counts are done: it waited for
 * them 15% of its time (wall-clock profile, 84 MB steps) before they were counted in one pass,
 * 6.1% after, 1.5% with the counts made a chunk ahead.
 */
public final class ContextCounts {
    /** The plane counted ahead. */
    static final int PLANE = 1;
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ContextHuffman.Scratch scratch = new ContextHuffman.Scratch();
    /** Each element's group << 8 | symbol. */
    private char[] keys = new char[0];
    private int n = -1;
    private int width;
    private int groups;

    /** Whether the groups it chooses are pair-aligned (undoable deltas; {@link ContextHuffman}); true unless set. */
    public void setPairAligned(boolean on) {
        scratch.pairAligned = on;
    }

    /**
     * Counts plane {@value #PLANE} of {@code raw[off, off+len)} XOR {@code base}, elements of
     * {@code w} bytes. Returns false (and holds nothing) when it does not apply: another width,
     * a base held as planes, or a chunk too small to be context coded.
     */
    public boolean count(byte[] raw, int off, int len, int w, ChunkBase base) {
        return countAndSplit(raw, off, len, w, base, null);
    }

    /**
     * As {@link #count}, and splits the chunk's XOR delta against the base into {@code planes}
     * (if not null) where the counts apply, in the same pass as the keys
     * ({@link PlaneTransform#splitXorWithKeys}: one pass over the chunk and its base instead of
     * two). Where they do not, {@code planes} holds nothing either.
     */
    public boolean countAndSplit(byte[] raw, int off, int len, int w, ChunkBase base, XorPlanesAhead planes) {
        n = -1;
        if (planes != null) {
            planes.clear();
        }
        if ((w != 2 && w != 4) || len % w != 0 || base == null || base.heldAsPlanes() || base.length() != len) {
            return false;
        }
        int elements = len / w;
        if (elements < 2 * ContextHuffman.MIN_GROUP) {
            return false;
        }
        byte[] b = base.raw();
        int bo = base.rawOffset();
        keys = keys.length >= elements ? keys : new char[elements];
        groups = chooseGroups(raw, off, b, bo, elements, w, scratch);
        if (planes != null) {
            PlaneTransform.splitXorWithKeys(raw, off, b, bo, elements, w, planes.buffer(len), 0, scratch.groupOf, keys);
            planes.hold(elements, w);
        } else {
            makeKeys(raw, off, b, bo, elements, w, keys, scratch.groupOf);
        }
        ContextHuffman.countKeys(keys, elements, scratch);
        width = w;
        n = elements;
        return true;
    }

    /**
     * Each element's key, as {@link ContextHuffman#count} makes it (the groups chosen from a
     * sample of the base's contexts first), from its context and plane byte in one pass (not
     * first into arrays of contexts and plane bytes, read back); the keys' histograms are then
     * counted in a pass of their own ({@link ContextHuffman#countKeys}). Measured, 8 Adam steps
     * of an 84 MB fp32 MLP through one handle (steps 3-8, alternating pairs): 197-206 -> 210-228 MB/s with the keys counted in the same pass as they were made,
     * 229-234 -> 237-248 MB/s in a pass of their own (a 4 MiB chunk counted in 2.9-3.0 ms
     * instead of 3.9-4.2: each pass runs in order through its arrays).
     */
    private static void makeKeys(byte[] raw, int off, byte[] b, int bo, int n, int w, char[] keys, byte[] table) {
        if (w == 4) {
            for (int i = 0; i < n; i++) {
                keys[i] = keyOf(table, key(raw, off, b, bo, i, 4));
            }
        } else {
            for (int i = 0; i < n; i++) {
                keys[i] = keyOf(table, key(raw, off, b, bo, i, 2));
            }
        }
    }

    /** The context groups ({@code s.groupOf}) from the sample of contexts {@link ContextHuffman#chooseGroups} takes; returns how many. */
    private static int chooseGroups(byte[] raw, int off, byte[] b, int bo, int n, int w, ContextHuffman.Scratch s) {
        int[] ch = s.ctxHist;
        Arrays.fill(ch, 0);
        int step = ContextHuffman.sampleStep(n);
        int m = n / (4 * step) * step;
        for (int i = 0; i < m; i += step) { // the elements ContextHuffman.chooseGroups samples
            ch[key(raw, off, b, bo, i, w) >>> 8]++;
            ch[256 + (key(raw, off, b, bo, m + i, w) >>> 8)]++;
            ch[512 + (key(raw, off, b, bo, 2 * m + i, w) >>> 8)]++;
            ch[768 + (key(raw, off, b, bo, 3 * m + i, w) >>> 8)]++;
        }
        for (int i = 4 * m; i < n; i += step) {
            ch[key(raw, off, b, bo, i, w) >>> 8]++;
        }
        return ContextHuffman.groupsOfSample(step, s);
    }

    /** The key (group << 8 | symbol) of a context << 8 | symbol, by the group table. */
    private static char keyOf(byte[] groupOf, int contextAndSymbol) {
        return (char) (groupOf[contextAndSymbol >>> 8] << 8 | contextAndSymbol & 0xFF);
    }

    /**
     * Element i's context (as {@link ContextHuffman#contextsOfRaw}: bits 8-15) and its byte of
     * plane {@value #PLANE} of the XOR delta (bits 0-7): byte w-1-k of a little-endian element
     * is plane k.
     */
    private static int key(byte[] raw, int off, byte[] b, int bo, int i, int w) {
        if (w == 4) {
            int base = (int) INT.get(b, bo + 4 * i);
            return base >>> 15 & 0xFF00 | ((int) INT.get(raw, off + 4 * i) ^ base) >>> 16 & 0xFF;
        }
        int base = (short) SHORT.get(b, bo + 2 * i);
        return base << 1 & 0xFF00 | ((short) SHORT.get(raw, off + 2 * i) ^ base) & 0xFF;
    }

    /** Whether these are the counts of plane {@code k} of a chunk of n elements of width w. */
    boolean fits(int elements, int w, int k) {
        return n >= 0 && n == elements && width == w && k == PLANE;
    }

    /** Each element's group (0 .. {@link #groups()} - 1) << 8 | its symbol. */
    char[] keys() {
        return keys;
    }

    int groups() {
        return groups;
    }

    /** The group boundaries: the first {@link #groups()} entries. */
    int[] bounds() {
        return scratch.bounds;
    }

    int[] hist() {
        return scratch.hist;
    }
}
