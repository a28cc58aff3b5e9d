package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A byte plane of a delta coded with one Huffman code per context group
 * ({@link PlaneMode#CONTEXT_HUFFMAN}). The context of element i is the magnitude class of the
 * <em>base</em> element i: its bits 8w-2 .. 8w-9 (below the sign), the exponent for fp32 and
 * BF16. Both sides know the base, so the context costs nothing to store. Why it pays: an Adam
 * step moves every weight by about the learning rate, so how many leading bits of an XOR delta
 * are zero depends on the weight's exponent. Measured on an fp32 Adam history (0.3 M
 * parameters, numpy): the high-mantissa XOR plane codes to 18% fewer bytes with 16 groups than
 * with one code (8 groups: 17%), the whole checkpoint to 4% fewer than zstd -19 of its XOR planes.
 *
 * <p>The symbols stay in element order, each coded with its group's code, so decoding writes
 * every byte in place: grouping the bytes by context and scattering them back after decoding
 * cost more than the Huffman decode itself (measured: 2.4 vs 1.1 ms per million bytes).
 *
 * <h2>Body layout (inside a planar payload; little-endian)</h2>
 *
 * <pre>
 * u8          G, the number of groups: 1..{@value #MAX_GROUPS}
 * G-1 bytes   group boundaries, strictly increasing, each 1..255: group g holds the elements
 *             whose context lies in [bound(g), bound(g+1)), with bound(0) = 0, bound(G) = 256
 * per group   its code: u8 1 and the one symbol every element of the group has (no bits per
 *             element), or u8 2 and a {@link HuffmanCoder} code-length table (u8 last symbol,
 *             nibbles): a complete prefix code of at most 11 bits
 * 3 x u32     byte lengths of streams 0, 1 and 2; stream 3 takes the rest
 * streams     four LSB-first bitstreams as in {@link HuffmanCoder}, each ending in a 1 bit and
 *             zero bits up to its byte boundary: with seg = (n + 3) / 4, stream k codes
 *             elements [k * seg, min(n, (k + 1) * seg)), each with the code of its group
 * </pre>
 */
final class ContextHuffman {
    /** Most groups a plane is split into: eight 2048-entry decode tables fit a 32 KiB cache. */
    static final int MAX_GROUPS = 8;
    /** Fewest elements a group is given (a code table costs up to 130 bytes). */
    static final int MIN_GROUP = 1024;
    private static final int KIND_SINGLE = 1;
    private static final int KIND_CODE = 2;
    private static final int LOOKUP_BITS = HuffmanCoder.MAX_CODE_LENGTH;
    private static final int LOOKUP_MASK = (1 << LOOKUP_BITS) - 1;
    /** Symbols decoded from one 8-byte read of a stream: 5 codes of at most 11 bits fit the 57 bits it holds at least. */
    private static final int PER_READ = 5;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ContextHuffman() {
    }

    /** The context of each of n elements of a base held as planes (plane 0 = the top bytes). */
    static void contextsOfPlanes(byte[] planes, int n, byte[] ctx) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) { // eight at a time: each byte's low 7 bits, then the next plane's top bit
            long hi = (long) LONG.get(planes, i);
            long lo = (long) LONG.get(planes, n + i);
            LONG.set(ctx, i, (hi << 1) & 0xFEFEFEFEFEFEFEFEL | (lo >>> 7) & 0x0101010101010101L);
        }
        for (; i < n; i++) {
            ctx[i] = (byte) (planes[i] << 1 | (planes[n + i] & 0xFF) >>> 7);
        }
    }

    /** The context of each of n little-endian elements of width w (at least 2) at {@code raw[off...]}. */
    static void contextsOfRaw(byte[] raw, int off, int n, int w, byte[] ctx) {
        switch (w) {
            case 2 -> { // (one element a step: C2 vectorizes it; eight a step through words ran 0.30 against 0.22 ns each)
                for (int i = 0; i < n; i++) {
                    ctx[i] = (byte) ((short) SHORT.get(raw, off + 2 * i) >>> 7);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    ctx[i] = (byte) ((int) INT.get(raw, off + 4 * i) >>> 23);
                }
            }
            case 8 -> {
                for (int i = 0; i < n; i++) {
                    ctx[i] = (byte) ((long) LONG.get(raw, off + 8 * i) >>> 55);
                }
            }
            default -> {
                int at = off + w - 2;
                for (int i = 0; i < n; i++, at += w) {
                    ctx[i] = (byte) (raw[at + 1] << 1 | (raw[at] & 0xFF) >>> 7);
                }
            }
        }
    }

    /**
     * The contexts of the base of an XOR delta, from the chunk the delta made ({@code raw}, as
     * {@link #contextsOfRaw}) and the delta's plane 0 ({@code top[topOff...]}): each element's top
     * byte XOR the delta's is the base's. The low bit of each context stays the made chunk's (the
     * base's sits in plane 1, not yet decoded), so these are the base's contexts only where no
     * group boundary is odd ({@link #pairAligned}), which undoing requires.
     */
    static void contextsOfUndone(byte[] raw, int off, int n, int w, byte[] top, int topOff, byte[] ctx) {
        contextsOfRaw(raw, off, n, w, ctx);
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) { // eight at a time (C2 left the byte loop scalar: 3 ns an element)
            LONG.set(ctx, i, (long) LONG.get(ctx, i) ^ ((long) LONG.get(top, topOff + i) << 1) & 0xFEFEFEFEFEFEFEFEL);
        }
        for (; i < n; i++) {
            ctx[i] ^= (byte) (top[topOff + i] << 1);
        }
    }

    /** Per-thread scratch: histograms, the group table, the codes and the decode tables. */
    static final class Scratch {
        /** Context histogram per quarter: quarter k at [256k, 256k + 256). */
        final int[] ctxHist = new int[4 * 256];
        /** Symbol histogram per stream and group: [(k * MAX_GROUPS + g) * 256 + symbol]. */
        final int[] hist = new int[4 * MAX_GROUPS * 256];
        final byte[] groupOf = new byte[256];
        /** Decoder: per context, where its group's decode table starts: group << {@value #LOOKUP_BITS}. */
        final char[] groupTable = new char[256];
        final int[] bounds = new int[MAX_GROUPS];
        /** Whether group boundaries are moved to even contexts ({@link #alignToPairs}); an encoder's choice. */
        boolean pairAligned = true;
        /** Per group: the single symbol, or -1 when it has a code. */
        final int[] single = new int[MAX_GROUPS];
        /** Per group and symbol: code length; bit-reversed code << 4 | length. */
        final int[] lengths = new int[MAX_GROUPS * 256];
        final int[] codes = new int[MAX_GROUPS * 256];
        final int[] groupLengths = new int[256];
        final int[] lastSym = new int[MAX_GROUPS];
        final int[] tableBytes = new int[MAX_GROUPS];
        /** Decoder: per group 2048 entries of symbol | length << 8, indexed by the next 11 bits. */
        final char[] table = new char[MAX_GROUPS << LOOKUP_BITS];
        final long[] streamBytes = new long[4];
        /** Encoder: each element's group << 8 | symbol, from {@link #count}. */
        char[] keys = new char[0];
        /** Encoder: per group and symbol its code << 4 | length. */
        final char[] groupCodes = new char[MAX_GROUPS * 256];
    }

    /**
     * Encodes {@code src[off, off+n)} with contexts {@code ctx[0, n)} into {@code dst[at...]}
     * when that takes fewer than n bytes, and returns the length; else returns -1 and writes
     * nothing. dst needs room for n - 1 bytes from {@code at}.
     */
    static int encode(byte[] src, int off, int n, byte[] ctx, byte[] dst, int at, Scratch s, HuffmanCoder.State st) {
        if (n == 0) {
            return -1;
        }
        int groups = plan(src, off, n, ctx, s, st);
        return write(n, s.keys, groups, groupCodes(groups, s), dst, at, s);
    }

    /**
     * As {@link #encode}, from counts made ahead ({@link ContextCounts#count}, of the same plane and
     * base, n elements): the same bytes, without choosing the groups and counting the symbols
     * again, nor reading the plane (the counts hold each element's group and symbol).
     */
    static int encode(int n, ContextCounts counts, byte[] dst, int at, Scratch s, HuffmanCoder.State st) {
        if (n == 0) {
            return -1;
        }
        int groups = counts.groups();
        System.arraycopy(counts.bounds(), 0, s.bounds, 0, groups);
        System.arraycopy(counts.hist(), 0, s.hist, 0, s.hist.length);
        fillGroupTable(groups, s);
        buildCodes(groups, s, st);
        return write(n, counts.keys(), groups, groupCodes(groups, s), dst, at, s);
    }

    /** Writes the plane of n elements, {@code keys} their group << 8 | symbol, with the codes of {@link #groupCodes}. */
    private static int write(int n, char[] keys, int groups, char[] codes, byte[] dst, int at, Scratch s) {
        long total = size(groups, s);
        if (total >= n) {
            return -1;
        }
        int q = at;
        dst[q++] = (byte) groups;
        for (int g = 1; g < groups; g++) {
            dst[q++] = (byte) s.bounds[g];
        }
        for (int g = 0; g < groups; g++) {
            if (s.single[g] >= 0) {
                dst[q++] = KIND_SINGLE;
                dst[q++] = (byte) s.single[g];
            } else {
                dst[q++] = KIND_CODE;
                dst[q++] = (byte) s.lastSym[g];
                System.arraycopy(s.lengths, g * 256, s.groupLengths, 0, 256);
                q += HuffmanCoder.writeTable(s.groupLengths, s.lastSym[g], dst, q);
            }
        }
        for (int k = 0; k < 3; k++) {
            ChunkFormat.putInt(dst, q, (int) s.streamBytes[k]);
            q += 4;
        }
        encodeStreams(keys, n, codes, dst, q, s.streamBytes);
        return (int) total;
    }

    /**
     * Each group's codes in a row (code << 4 | length; a code of at most 11 bits and its length
     * fit a char), looked up by an element's key (group << 8 | symbol): 4 KiB at most, in the L1
     * cache. Coding from keys that {@link #count} stored as it counted takes two loads per
     * symbol (key, code) where a look-up by context and symbol took three (context, symbol, and
     * the code in a 128 KiB table by context): 1 M symbols of a real Adam step's XOR plane coded
     * from counts made ahead, 2.26-2.49 -> 1.74-1.81 ms (three alternating runs, same bytes);
     * counting and coding in one go the same as before (4.0-4.4 ms).
     */
    private static char[] groupCodes(int groups, Scratch s) {
        char[] gc = s.groupCodes;
        for (int i = 0; i < groups << 8; i++) {
            gc[i] = (char) s.codes[i];
        }
        return gc;
    }

    /** The length {@link #encode} would return, or a value of at least n when it would return -1. */
    static long estimate(byte[] src, int off, int n, byte[] ctx, Scratch s, HuffmanCoder.State st) {
        if (n == 0) {
            return 0;
        }
        return size(plan(src, off, n, ctx, s, st), s);
    }

    /** Chooses the groups, counts symbols per stream and group, builds each group's code. Returns G. */
    private static int plan(byte[] src, int off, int n, byte[] ctx, Scratch s, HuffmanCoder.State st) {
        int groups = count(src, off, n, ctx, s);
        buildCodes(groups, s, st);
        return groups;
    }

    /**
     * Chooses the groups (bounds and group table in s), stores each element's key, group << 8 |
     * symbol (s.keys), and counts the keys per stream (s.hist). Returns G. Making the keys and
     * counting them are two passes: each runs in order through its arrays, and the two took
     * 3.9-4.0 ms for 1 M symbols of a real Adam plane, coded included, against 4.2-4.3 in one.
     */
    static int count(byte[] src, int off, int n, byte[] ctx, Scratch s) {
        int groups = chooseGroups(ctx, n, s);
        byte[] groupOf = s.groupOf;
        char[] keys = s.keys = s.keys.length >= n ? s.keys : new char[n];
        for (int i = 0; i < n; i++) {
            keys[i] = (char) (groupOf[ctx[i] & 0xFF] << 8 | src[off + i] & 0xFF);
        }
        countKeys(keys, n, s);
        return groups;
    }

    /** Each stream's histogram of the n keys (group << 8 | symbol) into s.hist. */
    static void countKeys(char[] keys, int n, Scratch s) {
        int[] h = s.hist;
        Arrays.fill(h, 0);
        int seg = (n + 3) >>> 2;
        int last = Math.max(0, n - 3 * seg);
        int q1 = MAX_GROUPS * 256;
        int j = 0;
        for (; j < last; j++) { // the four streams' histograms in turn: repeats do not chain through one counter
            h[keys[j]]++;
            h[q1 + keys[seg + j]]++;
            h[2 * q1 + keys[2 * seg + j]]++;
            h[3 * q1 + keys[3 * seg + j]]++;
        }
        for (int k = 0; k < 4; k++) {
            int from = Math.min(n, k * seg);
            int to = Math.min(n, from + seg);
            for (int i = from + Math.min(j, to - from); i < to; i++) {
                h[k * q1 + keys[i]]++;
            }
        }
    }

    /** Each group's code from the counts in s.hist, and each stream's length. */
    private static void buildCodes(int groups, Scratch s, HuffmanCoder.State st) {
        int[] h = s.hist;
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < 4; k++) {
                System.arraycopy(h, (k * MAX_GROUPS + g) * 256, st.hist, 256 * k, 256);
            }
            int used = HuffmanCoder.buildLengths(st, 4);
            if (used <= 1) {
                s.single[g] = used == 0 ? 0 : HuffmanCoder.singleSymbol(st);
                Arrays.fill(s.lengths, g * 256, g * 256 + 256, 0);
                Arrays.fill(s.codes, g * 256, g * 256 + 256, 0);
                continue;
            }
            s.single[g] = -1;
            int[] codes = HuffmanCoder.assignCodes(st);
            System.arraycopy(st.lengths, 0, s.lengths, g * 256, 256);
            System.arraycopy(codes, 0, s.codes, g * 256, 256);
            int lastSym = 255;
            while (st.lengths[lastSym] == 0) {
                lastSym--;
            }
            s.lastSym[g] = lastSym;
            s.tableBytes[g] = HuffmanCoder.writeTable(st.lengths, lastSym, null, 0);
        }
        for (int k = 0; k < 4; k++) {
            long bits = 0;
            for (int g = 0; g < groups; g++) {
                if (s.single[g] >= 0) {
                    continue;
                }
                int hb = (k * MAX_GROUPS + g) * 256;
                int lb = g * 256;
                for (int v = 0; v < 256; v++) {
                    bits += (long) h[hb + v] * s.lengths[lb + v];
                }
            }
            s.streamBytes[k] = (bits + 8) >>> 3;
        }
    }

    private static long size(int groups, Scratch s) {
        long total = 1 + (groups - 1) + 12;
        for (int g = 0; g < groups; g++) {
            total += s.single[g] >= 0 ? 2 : 2 + s.tableBytes[g];
        }
        for (int k = 0; k < 4; k++) {
            total += s.streamBytes[k];
        }
        return total;
    }

    /**
     * Codes the four streams into exactly their planned bytes from {@code dst[q...]}: while every
     * stream has four symbols left and 8 bytes of room, four codes (at most 44 bits) from each in
     * turn, each stream flushed by one 8-byte write without a branch; then each stream's rest
     * alone, byte by byte, and its end marker. The sixteen codes of a round are written out, a
     * stream's four in a row: same-JVM A/B of JMH {@code ContextHuffmanBenchmark.encodeFromCounts}
     * against a loop over the four symbols, 16 rounds each way, medians 433 -> 534 and 438 -> 483
     * MB/s (faster in 31 of 32 rounds); one symbol of each stream in turn, written out, was no
     * faster than a stream's four in a row.
     */
    private static void encodeStreams(char[] keys, int n, char[] codes, byte[] dst, int q, long[] streamBytes) {
        int seg = (n + 3) >>> 2;
        int last = n - 3 * seg;
        int e0 = q + (int) streamBytes[0];
        int e1 = e0 + (int) streamBytes[1];
        int e2 = e1 + (int) streamBytes[2];
        int e3 = e2 + (int) streamBytes[3];
        long c0 = 0;
        long c1 = 0;
        long c2 = 0;
        long c3 = 0;
        int b0 = 0;
        int b1 = 0;
        int b2 = 0;
        int b3 = 0;
        int p0 = q;
        int p1 = e0;
        int p2 = e1;
        int p3 = e2;
        int j = 0;
        int o1 = seg;
        int o2 = 2 * seg;
        int o3 = 3 * seg;
        while (true) {
            int groups = HuffmanCoder.fourStreamRounds(e0 - p0, e1 - p1, e2 - p2, e3 - p3, last - j);
            if (groups <= 0) {
                break;
            }
            int stop = j + 4 * groups;
            for (; j < stop; j += 4) {
                int x;
                x = codes[keys[j]]; c0 |= (long) (x >>> 4) << b0; b0 += x & 15;
                x = codes[keys[j + 1]]; c0 |= (long) (x >>> 4) << b0; b0 += x & 15;
                x = codes[keys[j + 2]]; c0 |= (long) (x >>> 4) << b0; b0 += x & 15;
                x = codes[keys[j + 3]]; c0 |= (long) (x >>> 4) << b0; b0 += x & 15;
                x = codes[keys[o1 + j]]; c1 |= (long) (x >>> 4) << b1; b1 += x & 15;
                x = codes[keys[o1 + j + 1]]; c1 |= (long) (x >>> 4) << b1; b1 += x & 15;
                x = codes[keys[o1 + j + 2]]; c1 |= (long) (x >>> 4) << b1; b1 += x & 15;
                x = codes[keys[o1 + j + 3]]; c1 |= (long) (x >>> 4) << b1; b1 += x & 15;
                x = codes[keys[o2 + j]]; c2 |= (long) (x >>> 4) << b2; b2 += x & 15;
                x = codes[keys[o2 + j + 1]]; c2 |= (long) (x >>> 4) << b2; b2 += x & 15;
                x = codes[keys[o2 + j + 2]]; c2 |= (long) (x >>> 4) << b2; b2 += x & 15;
                x = codes[keys[o2 + j + 3]]; c2 |= (long) (x >>> 4) << b2; b2 += x & 15;
                x = codes[keys[o3 + j]]; c3 |= (long) (x >>> 4) << b3; b3 += x & 15;
                x = codes[keys[o3 + j + 1]]; c3 |= (long) (x >>> 4) << b3; b3 += x & 15;
                x = codes[keys[o3 + j + 2]]; c3 |= (long) (x >>> 4) << b3; b3 += x & 15;
                x = codes[keys[o3 + j + 3]]; c3 |= (long) (x >>> 4) << b3; b3 += x & 15;
                LONG.set(dst, p0, c0);
                p0 += b0 >>> 3;
                c0 >>>= b0 & ~7;
                b0 &= 7;
                LONG.set(dst, p1, c1);
                p1 += b1 >>> 3;
                c1 >>>= b1 & ~7;
                b1 &= 7;
                LONG.set(dst, p2, c2);
                p2 += b2 >>> 3;
                c2 >>>= b2 & ~7;
                b2 &= 7;
                LONG.set(dst, p3, c3);
                p3 += b3 >>> 3;
                c3 >>>= b3 & ~7;
                b3 &= 7;
            }
        }
        long[] c = {c0, c1, c2, c3};
        int[] b = {b0, b1, b2, b3};
        int[] p = {p0, p1, p2, p3};
        int[] ends = {e0, e1, e2, e3};
        for (int k = 0; k < 4; k++) {
            int from = Math.min(n, k * seg);
            int to = Math.min(n, from + seg);
            finishEncoding(keys, from + Math.min(j, to - from), to, codes, dst, p[k], ends[k], c[k], b[k]);
        }
    }

    /** Codes elements [i, to) of one stream from its writer state, then the end marker, ending exactly at end. */
    private static void finishEncoding(char[] keys, int i, int to, char[] codes, byte[] dst, int p, int end, long acc, int bits) {
        for (; i < to; i++) {
            int c = codes[keys[i]];
            acc |= (long) (c >>> 4) << bits;
            bits += c & 15;
            while (bits >= 8) {
                dst[p++] = (byte) acc;
                acc >>>= 8;
                bits -= 8;
            }
        }
        acc |= 1L << bits;
        dst[p++] = (byte) acc;
        if (p != end) {
            throw new IllegalStateException("context Huffman: stream ends at " + p + ", planned " + end);
        }
    }

    /**
     * Decodes {@code src[off, off+len)} into {@code dst[dstOff, dstOff+n)} given the contexts
     * {@code ctx[0, n)} of the same base the encoder saw. Checks the header, every code table,
     * the stream lengths, and that each stream ends exactly in its end marker.
     */
    static void decode(byte[] src, int off, int len, byte[] dst, int dstOff, int n, byte[] ctx, Scratch s,
                       HuffmanCoder.State st) throws CorruptObjectException {
        int end = off + len;
        if (n == 0 || len < 1) {
            throw new CorruptObjectException("context Huffman plane: " + len + " bytes for " + n + " elements");
        }
        int groups = src[off] & 0xFF;
        if (groups < 1 || groups > MAX_GROUPS) {
            throw new CorruptObjectException("context Huffman plane: " + groups + " groups (1.." + MAX_GROUPS + ")");
        }
        if (len < groups) {
            throw new CorruptObjectException("context Huffman plane: " + len + " bytes, shorter than its group boundaries");
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
        int q = off + groups;
        char[] table = s.table;
        for (int g = 0; g < groups; g++) {
            if (q + 2 > end) {
                throw new CorruptObjectException("context Huffman plane: truncated code of group " + g);
            }
            int kind = src[q++] & 0xFF;
            int t0 = g << LOOKUP_BITS;
            if (kind == KIND_SINGLE) {
                Arrays.fill(table, t0, t0 + (1 << LOOKUP_BITS), (char) (src[q++] & 0xFF));
            } else if (kind == KIND_CODE) {
                try {
                    q = HuffmanCoder.readTable(src, q, end, st);
                } catch (CorruptObjectException e) {
                    throw new CorruptObjectException("context Huffman plane: group " + g + ": " + e.getMessage(), e);
                }
                int[] t = HuffmanCoder.buildDecodeTable(st);
                for (int x = 0; x <= LOOKUP_MASK; x++) {
                    int e = t[x];
                    table[t0 + x] = (char) (e >>> 16 | (e & 15) << 8);
                }
            } else {
                throw new CorruptObjectException("context Huffman plane: group " + g + " has unknown code kind " + kind);
            }
        }
        if (end - q < 12) {
            throw new CorruptObjectException("context Huffman plane: truncated stream lengths");
        }
        long l0 = Integer.toUnsignedLong(ChunkFormat.getInt(src, q));
        long l1 = Integer.toUnsignedLong(ChunkFormat.getInt(src, q + 4));
        long l2 = Integer.toUnsignedLong(ChunkFormat.getInt(src, q + 8));
        q += 12;
        if (l0 + l1 + l2 > end - q) {
            throw new CorruptObjectException("context Huffman plane: stream lengths " + l0 + " + " + l1 + " + " + l2 + " exceed the "
                    + (end - q) + " bytes of stream data");
        }
        int s1 = q + (int) l0;
        int s2 = s1 + (int) l1;
        int s3 = s2 + (int) l2;
        decodeStreams(src, new int[] {q, s1, s2, s3, end}, dst, dstOff, n, ctx, s.groupTable, table);
    }

    /**
     * The four streams ({@code bounds[k], bounds[k+1]}): first {@link #fastStreams} while every
     * stream has 8 bytes left to read at its position, then each stream's rest alone,
     * reading byte by byte near its end.
     */
    private static void decodeStreams(byte[] src, int[] bounds, byte[] dst, int o, int n, byte[] ctx, char[] groupTable,
                                      char[] table) throws CorruptObjectException {
        int seg = (n + 3) >>> 2;
        int last = n - 3 * seg; // the last stream's element count (it may be short, even empty)
        long[] bits = new long[4]; // each stream's bit position in src
        for (int k = 0; k < 4; k++) {
            bits[k] = 8L * bounds[k];
        }
        int done = last > 0 ? fastStreams(src, bounds, dst, o, seg, last, ctx, groupTable, table, bits) : 0;
        for (int k = 0; k < 4; k++) {
            int p = (int) (bits[k] >>> 3);
            int skip = (int) (bits[k] & 7);
            long c = 0;
            int a = 0;
            if (skip != 0) {
                c = (src[p++] & 0xFFL) >>> skip;
                a = 8 - skip;
            }
            int from = Math.min(n, k * seg);
            int to = Math.min(n, from + seg);
            finishStream(src, bounds[k], p, bounds[k + 1], c, a, dst, o, from + Math.min(done, to - from), to, ctx, groupTable, table, k);
        }
    }

    /**
     * The four streams, two at a time. A stream's whole state is its bit position: every
     * {@value #PER_READ} symbols it reads the 8 bytes at its byte (57 bits at least, from a
     * position inside the byte; the symbols take 55 at most) and takes the symbols from that word,
     * shifting it by each code's length. Streams 0 and 1 decode their next {@value #PER_READ}
     * symbols, then streams 2 and 3: the streams advance in step, so the element each decodes
     * next is one shared count. Advances the bit positions in {@code bits}; returns the symbols
     * each stream decoded (a multiple of {@value #PER_READ}).
     *
     * <p>Written out symbol by symbol because that is what ran fastest once compiled; one JVM per
     * command (84 MB checkout and export as ./coral runs them) within noise of the loop it
     * replaced, where the same change to {@link HuffmanCoder}'s decoder was slower. Measured on
     * 1 M symbols of plane 1 of a real Adam step's XOR delta (6.2 bits each), best of 30 x 10 decodes, two
     * runs: the four streams in one loop of {@value #PER_READ} steps 2.44-2.57 ms under C2 and
     * 3.17-3.45 under C1 (as checkout runs); two streams at a time, written out, 2.06-2.17 and
     * 2.68-2.86; the same as two loops 2.77-2.81 and 3.01-3.13; the four written as one loop
     * shifting the words 2.62-2.80 and 3.06-3.25; one 8-byte read per symbol 2.42-2.61 and
     * 3.46-3.84. Earlier (the four in one loop): a bit buffer per stream refilled every
     * {@value #PER_READ} symbols 2.5-2.9 ms against 2.3-2.5 (C2 spilled the 8 states); each
     * element's group looked up in a pass of its own before the streams 2.9-3.0.
     */
    private static int fastStreams(byte[] src, int[] bounds, byte[] dst, int o, int seg, int last, byte[] ctx, char[] groupTable,
                                   char[] table, long[] bits) {
        long b0 = bits[0];
        long b1 = bits[1];
        long b2 = bits[2];
        long b3 = bits[3];
        long end0 = 8L * bounds[1] - 64; // a read at bit b takes bytes [b / 8, b / 8 + 8)
        long end1 = 8L * bounds[2] - 64;
        long end2 = 8L * bounds[3] - 64;
        long end3 = 8L * bounds[4] - 64;
        int done = 0;
        while (true) {
            long room = Math.min(Math.min(end0 - b0, end1 - b1), Math.min(end2 - b2, end3 - b3));
            if (room < 0) {
                break;
            }
            int reads = (int) Math.min(room / (PER_READ * LOOKUP_BITS) + 1, (last - done) / PER_READ);
            if (reads <= 0) {
                break;
            }
            int stop = done + PER_READ * reads;
            for (int i = done; i < stop; i += PER_READ) {
                int a = i; // streams 0 and 1: elements a.. and seg + a..
                int c = seg + i;
                long x = (long) LONG.get(src, (int) (b0 >>> 3)) >>> (b0 & 7);
                long y = (long) LONG.get(src, (int) (b1 >>> 3)) >>> (b1 & 7);
                int e;
                int f;
                e = table[groupTable[ctx[a] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a] = (byte) e; x >>>= e >>> 8; b0 += e >>> 8;
                f = table[groupTable[ctx[c] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c] = (byte) f; y >>>= f >>> 8; b1 += f >>> 8;
                e = table[groupTable[ctx[a + 1] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 1] = (byte) e; x >>>= e >>> 8; b0 += e >>> 8;
                f = table[groupTable[ctx[c + 1] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 1] = (byte) f; y >>>= f >>> 8; b1 += f >>> 8;
                e = table[groupTable[ctx[a + 2] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 2] = (byte) e; x >>>= e >>> 8; b0 += e >>> 8;
                f = table[groupTable[ctx[c + 2] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 2] = (byte) f; y >>>= f >>> 8; b1 += f >>> 8;
                e = table[groupTable[ctx[a + 3] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 3] = (byte) e; x >>>= e >>> 8; b0 += e >>> 8;
                f = table[groupTable[ctx[c + 3] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 3] = (byte) f; y >>>= f >>> 8; b1 += f >>> 8;
                e = table[groupTable[ctx[a + 4] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 4] = (byte) e; b0 += e >>> 8;
                f = table[groupTable[ctx[c + 4] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 4] = (byte) f; b1 += f >>> 8;
                a = 2 * seg + i; // streams 2 and 3
                c = 3 * seg + i;
                x = (long) LONG.get(src, (int) (b2 >>> 3)) >>> (b2 & 7);
                y = (long) LONG.get(src, (int) (b3 >>> 3)) >>> (b3 & 7);
                e = table[groupTable[ctx[a] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a] = (byte) e; x >>>= e >>> 8; b2 += e >>> 8;
                f = table[groupTable[ctx[c] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c] = (byte) f; y >>>= f >>> 8; b3 += f >>> 8;
                e = table[groupTable[ctx[a + 1] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 1] = (byte) e; x >>>= e >>> 8; b2 += e >>> 8;
                f = table[groupTable[ctx[c + 1] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 1] = (byte) f; y >>>= f >>> 8; b3 += f >>> 8;
                e = table[groupTable[ctx[a + 2] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 2] = (byte) e; x >>>= e >>> 8; b2 += e >>> 8;
                f = table[groupTable[ctx[c + 2] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 2] = (byte) f; y >>>= f >>> 8; b3 += f >>> 8;
                e = table[groupTable[ctx[a + 3] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 3] = (byte) e; x >>>= e >>> 8; b2 += e >>> 8;
                f = table[groupTable[ctx[c + 3] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 3] = (byte) f; y >>>= f >>> 8; b3 += f >>> 8;
                e = table[groupTable[ctx[a + 4] & 0xFF] | (int) x & LOOKUP_MASK]; dst[o + a + 4] = (byte) e; b2 += e >>> 8;
                f = table[groupTable[ctx[c + 4] & 0xFF] | (int) y & LOOKUP_MASK]; dst[o + c + 4] = (byte) f; b3 += f >>> 8;
            }
            done = stop;
        }
        bits[0] = b0;
        bits[1] = b1;
        bits[2] = b2;
        bits[3] = b3;
        return done;
    }

    /** Decodes elements [i, to) of one stream from its reader state, then checks its end marker. */
    private static void finishStream(byte[] src, int start, int p, int end, long c, int a, byte[] dst, int o, int i, int to,
                                     byte[] ctx, char[] groupTable, char[] table, int stream) throws CorruptObjectException {
        for (; i < to; i++) {
            if (a < LOOKUP_BITS) {
                while (a <= 56 && p < end) {
                    c |= (src[p++] & 0xFFL) << a;
                    a += 8;
                }
            }
            int x = table[groupTable[ctx[i] & 0xFF] | (int) c & LOOKUP_MASK];
            dst[o + i] = (byte) x;
            c >>>= x >>> 8;
            a -= x >>> 8;
        }
        long rest = 8L * (end - start) - (8L * (p - start) - a); // bits the codes left: the end marker and its pad
        if (rest < 1 || rest > 8 || (src[end - 1] & 0xFF) >>> (8 - rest) != 1) {
            throw new CorruptObjectException("context Huffman plane: stream " + stream + " does not end in its end marker after its "
                    + "symbols (" + rest + " bits left; wrong length or damaged)");
        }
    }

    /**
     * Splits the context range into at most {@link #MAX_GROUPS} contiguous groups of about equal
     * counts (at least {@link #MIN_GROUP} elements each); fills bounds and the group table.
     * Returns the number of groups.
     */
    private static int chooseGroups(byte[] ctx, int n, Scratch s) {
        int[] h = s.ctxHist;
        Arrays.fill(h, 0);
        int step = sampleStep(n);
        int m = n / (4 * step) * step;
        for (int i = 0; i < m; i += step) { // four histograms: repeated contexts do not chain through one counter
            h[ctx[i] & 0xFF]++;
            h[256 + (ctx[m + i] & 0xFF)]++;
            h[512 + (ctx[2 * m + i] & 0xFF)]++;
            h[768 + (ctx[3 * m + i] & 0xFF)]++;
        }
        for (int i = 4 * m; i < n; i += step) {
            h[ctx[i] & 0xFF]++;
        }
        return groupsOfSample(step, s);
    }

    /**
     * Which contexts of a plane of n elements {@link #chooseGroups} counts: every {@code step}-th
     * of each quarter of {@code n / (4 * step) * step} elements, then every step-th past the
     * four quarters. The boundaries need not be exact: every 8th context of a large plane.
     */
    static int sampleStep(int n) {
        return n >= 1 << 16 ? 8 : 1;
    }

    /**
     * The groups of the contexts counted in {@code s.ctxHist} (every {@code step}-th element):
     * fills bounds and the group table; returns the number of groups.
     */
    static int groupsOfSample(int step, Scratch s) {
        int[] h = s.ctxHist;
        int counted = 0;
        for (int v = 0; v < 1024; v++) {
            counted += h[v];
        }
        int minGroup = MIN_GROUP / step;
        int target = Math.max(minGroup, (counted + MAX_GROUPS - 1) / MAX_GROUPS);
        int groups = 1;
        s.bounds[0] = 0;
        int acc = 0;
        int left = counted;
        for (int v = 0; v < 255 && groups < MAX_GROUPS; v++) {
            int c = h[v] + h[256 + v] + h[512 + v] + h[768 + v];
            acc += c;
            left -= c;
            if (acc >= target && left >= minGroup) {
                s.bounds[groups++] = v + 1;
                acc = 0;
            }
        }
        if (s.pairAligned) {
            groups = alignToPairs(groups, s);
        }
        fillGroupTable(groups, s);
        return groups;
    }

    /**
     * Moves each odd group boundary to its even neighbour, whichever moves fewer of the counted
     * contexts, so that a context's low bit (the exponent's lowest, which a delta's plane 1
     * carries) never decides its group: a delta can then be undone from the chunk it made
     * ({@link ChunkDecoder#undoInPlaneSpace}), whose plane 0 XOR the delta's gives the base's
     * plane 0 and so the group. Measured (perf training scenario, small scale, 200 Adam steps):
     * stored 38.6 MB for the fp32 history either way, BF16 4.34x → 4.33x, lossy 1e-4 / 1e-5
     * 6.96x → 6.65x / 4.16x → 4.10x (so lossy commits do not align, {@link Scratch#pairAligned});
     * boundaries moved to the next even context whatever that moved: BF16 4.23x, lossy 6.49x /
     * 4.03x. Returns the number of groups (two boundaries may meet).
     */
    private static int alignToPairs(int groups, Scratch s) {
        int[] h = s.ctxHist;
        int n = 1;
        for (int g = 1; g < groups; g++) {
            int v = s.bounds[g];
            if ((v & 1) != 0) {
                int up = h[v] + h[256 + v] + h[512 + v] + h[768 + v]; // moved up: context v joins the group below
                int down = h[v - 1] + h[256 + v - 1] + h[512 + v - 1] + h[768 + v - 1]; // down: context v-1 joins the one above
                v = up <= down || v - 1 <= s.bounds[n - 1] ? v + 1 : v - 1;
            }
            if (v > s.bounds[n - 1] && v < 256) {
                s.bounds[n++] = v;
            }
        }
        return n;
    }

    /**
     * Whether the context-coded plane at {@code src[off, off+len)} has pair-aligned groups (every
     * boundary even): then a context's low bit never decides its group ({@link ChunkDecoder#undoInPlaneSpace}).
     * False for a body too short to say.
     */
    static boolean pairAligned(byte[] src, int off, int len) {
        if (len < 1) {
            return false;
        }
        int groups = src[off] & 0xFF;
        if (groups < 1 || groups > MAX_GROUPS || len < groups) {
            return false;
        }
        for (int g = 1; g < groups; g++) {
            if ((src[off + g] & 1) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void fillGroupTable(int groups, Scratch s) {
        for (int g = 0; g < groups; g++) {
            int to = g + 1 < groups ? s.bounds[g + 1] : 256;
            Arrays.fill(s.groupOf, s.bounds[g], to, (byte) g);
            Arrays.fill(s.groupTable, s.bounds[g], to, (char) (g << LOOKUP_BITS));
        }
    }
}
