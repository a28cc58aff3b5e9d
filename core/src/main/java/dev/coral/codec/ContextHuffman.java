package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.util.Arrays;

/**
 * A byte plane of a delta coded with one order-0 Huffman code per context group
 * ({@link PlaneMode#CONTEXT_HUFFMAN}). The context of element i is the magnitude class of the
 * <em>base</em> element i: its bits 8w-2 .. 8w-9 (below the sign), the exponent for fp32 and
 * BF16. Both sides know the base, so the context costs nothing to store. Why it pays: an Adam
 * step moves every weight by about the learning rate, so how many leading bits of an XOR delta
 * are zero depends on the weight's exponent. Measured on an fp32 Adam history (0.3 M
 * parameters, numpy): the high-mantissa XOR plane codes to 18% fewer bytes with 16 groups than
 * with one code, the whole checkpoint to 4% fewer than zstd -19 of its XOR planes.
 *
 * <h2>Body layout (inside a planar payload; little-endian)</h2>
 *
 * <pre>
 * u8          G, the number of groups: 1..{@value #MAX_GROUPS}
 * G-1 bytes   group boundaries, strictly increasing, each 1..255: group g holds the elements
 *             whose context lies in [bound(g), bound(g+1)), with bound(0) = 0, bound(G) = 256
 * G x u32     body length of each group: 0 for a group without elements; its element count c
 *             for bytes stored as they are; less than c for a {@link HuffmanCoder} encoding
 * bodies      back to back, group 0 first; each holds its group's bytes in element order
 * </pre>
 *
 * Group element counts are not stored: the decoder counts them from the base's contexts.
 */
final class ContextHuffman {
    /** Most groups a plane is split into. */
    static final int MAX_GROUPS = 16;
    /** Fewest elements a group is given (a code table costs up to ~140 bytes). */
    static final int MIN_GROUP = 1024;
    /** Largest header: G, the boundaries and the lengths. */
    static final int MAX_HEADER = 1 + (MAX_GROUPS - 1) + 4 * MAX_GROUPS;

    private ContextHuffman() {
    }

    /** The context of each of n elements of a base held as planes (plane 0 = the top bytes). */
    static void contextsOfPlanes(byte[] planes, int n, byte[] ctx) {
        for (int i = 0; i < n; i++) {
            ctx[i] = (byte) (planes[i] << 1 | (planes[n + i] & 0xFF) >>> 7);
        }
    }

    /** The context of each of n little-endian elements of width w (at least 2) at {@code raw[off...]}. */
    static void contextsOfRaw(byte[] raw, int off, int n, int w, byte[] ctx) {
        int at = off + w - 2;
        for (int i = 0; i < n; i++, at += w) {
            ctx[i] = (byte) (raw[at + 1] << 1 | (raw[at] & 0xFF) >>> 7);
        }
    }

    /** Per-thread scratch: histograms, the group table, the grouped bytes. */
    static final class Scratch {
        final int[] hist = new int[256];
        final byte[] groupOf = new byte[256];
        final int[] counts = new int[MAX_GROUPS];
        final int[] starts = new int[MAX_GROUPS];
        final int[] bounds = new int[MAX_GROUPS];
        byte[] grouped = new byte[0];
    }

    /**
     * Encodes {@code src[off, off+n)} with contexts {@code ctx[0, n)} into {@code dst[at...]}.
     * dst needs room for {@code n + }{@value #MAX_HEADER} bytes from {@code at}. Returns the
     * length, or -1 if it is not smaller than n (dst then holds garbage there).
     */
    static int encode(byte[] src, int off, int n, byte[] ctx, byte[] dst, int at, Scratch s, HuffmanCoder.State st) {
        if (n == 0) {
            return -1;
        }
        int groups = chooseGroups(ctx, n, s);
        int q = at;
        dst[q++] = (byte) groups;
        for (int g = 1; g < groups; g++) {
            dst[q++] = (byte) s.bounds[g];
        }
        int lengths = q;
        q += 4 * groups;
        byte[] grouped = gather(src, off, n, ctx, groups, s);
        for (int g = 0; g < groups; g++) {
            int c = s.counts[g];
            int bl = 0;
            if (c > 0) {
                bl = HuffmanCoder.encode(grouped, s.starts[g], c, dst, q, st);
                if (bl < 0) {
                    System.arraycopy(grouped, s.starts[g], dst, q, c);
                    bl = c;
                }
            }
            ChunkFormat.putInt(dst, lengths + 4 * g, bl);
            q += bl;
            if (q - at >= n) {
                return -1;
            }
        }
        return q - at;
    }

    /** The length {@link #encode} would return, or a value of at least n when it would return -1. */
    static long estimate(byte[] src, int off, int n, byte[] ctx, Scratch s, HuffmanCoder.State st) {
        if (n == 0) {
            return 0;
        }
        int groups = chooseGroups(ctx, n, s);
        byte[] grouped = gather(src, off, n, ctx, groups, s);
        long total = groups + 4L * groups;
        for (int g = 0; g < groups; g++) {
            int c = s.counts[g];
            if (c > 0) {
                total += Math.min(c, HuffmanCoder.estimate(grouped, s.starts[g], c, st));
            }
        }
        return total;
    }

    /**
     * Decodes {@code src[off, off+len)} into {@code dst[dstOff, dstOff+n)} given the contexts
     * {@code ctx[0, n)} of the same base the encoder saw. Checks the header, every length
     * against the group counts, and that the bodies fill the encoding exactly.
     */
    static void decode(byte[] src, int off, int len, byte[] dst, int dstOff, int n, byte[] ctx, Scratch s,
                       HuffmanCoder.State st) throws CorruptObjectException {
        if (len < 1) {
            throw new CorruptObjectException("context Huffman plane: empty encoding");
        }
        int end = off + len;
        int groups = src[off] & 0xFF;
        if (groups < 1 || groups > MAX_GROUPS) {
            throw new CorruptObjectException("context Huffman plane: " + groups + " groups (1.." + MAX_GROUPS + ")");
        }
        int header = groups + 4 * groups;
        if (len < header) {
            throw new CorruptObjectException("context Huffman plane: " + len + " bytes, shorter than its " + header + "-byte header");
        }
        int prev = 0;
        s.bounds[0] = 0;
        for (int g = 1; g < groups; g++) {
            int b = src[off + g] & 0xFF;
            if (b <= prev) {
                throw new CorruptObjectException("context Huffman plane: group boundaries not increasing (" + prev + ", " + b + ")");
            }
            s.bounds[g] = prev = b;
        }
        fillGroupTable(groups, s);
        countGroups(ctx, n, groups, s);
        byte[] grouped = s.grouped = CodecWorkspace.grow(s.grouped, n);
        int q = off + header;
        for (int g = 0; g < groups; g++) {
            int c = s.counts[g];
            long bl = Integer.toUnsignedLong(ChunkFormat.getInt(src, off + groups + 4 * g));
            if (c == 0 ? bl != 0 : bl == 0 || bl > c) {
                throw new CorruptObjectException("context Huffman plane: group " + g + " of " + c + " elements has a body of " + bl
                        + " bytes");
            }
            if (bl > end - q) {
                throw new CorruptObjectException("context Huffman plane: group " + g + " body of " + bl + " bytes runs past the "
                        + (end - q) + " left");
            }
            if (bl == c) {
                System.arraycopy(src, q, grouped, s.starts[g], c);
            } else if (c > 0) {
                HuffmanCoder.decode(src, q, (int) bl, grouped, s.starts[g], c, st);
            }
            q += (int) bl;
        }
        if (q != end) {
            throw new CorruptObjectException("context Huffman plane: " + (end - q) + " bytes after the last group");
        }
        scatter(grouped, n, ctx, s, dst, dstOff);
    }

    /**
     * Splits the context range into at most {@link #MAX_GROUPS} contiguous groups of about equal
     * counts (at least {@link #MIN_GROUP} elements each); fills bounds, the group table, counts
     * and starts. Returns the number of groups.
     */
    private static int chooseGroups(byte[] ctx, int n, Scratch s) {
        int[] h = s.hist;
        Arrays.fill(h, 0);
        for (int i = 0; i < n; i++) {
            h[ctx[i] & 0xFF]++;
        }
        int target = Math.max(MIN_GROUP, (n + MAX_GROUPS - 1) / MAX_GROUPS);
        int groups = 1;
        s.bounds[0] = 0;
        int acc = 0;
        int left = n;
        for (int v = 0; v < 255 && groups < MAX_GROUPS; v++) {
            acc += h[v];
            left -= h[v];
            if (acc >= target && left >= MIN_GROUP) {
                s.bounds[groups++] = v + 1;
                acc = 0;
            }
        }
        fillGroupTable(groups, s);
        Arrays.fill(s.counts, 0);
        for (int v = 0; v < 256; v++) {
            s.counts[s.groupOf[v]] += h[v];
        }
        starts(groups, s);
        return groups;
    }

    private static void fillGroupTable(int groups, Scratch s) {
        for (int g = 0; g < groups; g++) {
            int to = g + 1 < groups ? s.bounds[g + 1] : 256;
            Arrays.fill(s.groupOf, s.bounds[g], to, (byte) g);
        }
    }

    private static void countGroups(byte[] ctx, int n, int groups, Scratch s) {
        int[] h = s.hist;
        Arrays.fill(h, 0);
        for (int i = 0; i < n; i++) {
            h[ctx[i] & 0xFF]++;
        }
        Arrays.fill(s.counts, 0);
        for (int v = 0; v < 256; v++) {
            s.counts[s.groupOf[v]] += h[v];
        }
        starts(groups, s);
    }

    private static void starts(int groups, Scratch s) {
        int at = 0;
        for (int g = 0; g < groups; g++) {
            s.starts[g] = at;
            at += s.counts[g];
        }
    }

    /** Copies the bytes group by group, each in element order, into the scratch's grouped buffer. */
    private static byte[] gather(byte[] src, int off, int n, byte[] ctx, int groups, Scratch s) {
        byte[] grouped = s.grouped = CodecWorkspace.grow(s.grouped, n);
        int[] pos = Arrays.copyOf(s.starts, MAX_GROUPS);
        byte[] groupOf = s.groupOf;
        for (int i = 0; i < n; i++) {
            grouped[pos[groupOf[ctx[i] & 0xFF]]++] = src[off + i];
        }
        return grouped;
    }

    /** The inverse of {@link #gather}. */
    private static void scatter(byte[] grouped, int n, byte[] ctx, Scratch s, byte[] dst, int dstOff) {
        int[] pos = Arrays.copyOf(s.starts, MAX_GROUPS);
        byte[] groupOf = s.groupOf;
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = grouped[pos[groupOf[ctx[i] & 0xFF]]++];
        }
    }
}
