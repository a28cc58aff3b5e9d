package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * Order-0 Huffman coder for byte arrays (planes of float exponents and the like), in the style
 * of zstd's Huff0: length-limited canonical codes (at most {@value #MAX_CODE_LENGTH} bits), a
 * compact code-length table, and four LSB-first bitstreams that the decoder reads interleaved
 * through an 11-bit lookup table yielding up to three symbols per lookup. Pure Java, no
 * allocation per call when a {@link State} is reused, deterministic output (same input, same
 * bytes).
 *
 * <h2>Encoded layout (on disk; all multi-byte integers little-endian)</h2>
 *
 * <pre>
 * byte 0       kind: 0 = Huffman, 1 stream
 *                    1 = Huffman, 4 streams
 *                    2 = single symbol (the whole plane is one byte value)
 *                    3..255 reserved (corrupt)
 *
 * kind 2:      byte 1 = the symbol. Total length exactly 2.
 *
 * kind 0, 1:   byte 1 = lastSym, the largest symbol with a code (its length must be non-zero)
 *              code-length table: a sequence of 4-bit nibbles, low nibble of each byte first,
 *                describing the code lengths of symbols 0..lastSym in order:
 *                  1..11  the next symbol has this code length
 *                  0      the next symbol is unused (length 0)
 *                  12 a b run of (a | b &lt;&lt; 4) + 2 unused symbols (2..257); a, b are the
 *                         next two nibbles
 *                  13..15 invalid
 *                The runs and lengths must cover exactly lastSym + 1 symbols; symbols above
 *                lastSym are unused. If the sequence has an odd number of nibbles, the high
 *                nibble of its last byte is a 0 pad. The lengths must form a complete prefix
 *                code: sum over used symbols of 2^-length == 1 exactly (so at least 2 symbols).
 *              kind 1 only: 3 x u32 LE, the byte lengths of streams 0, 1 and 2; stream 3 is the
 *                rest of the encoding (its length is implied by the total length).
 *              the streams, back to back (kind 0: one stream, the rest of the encoding).
 * </pre>
 *
 * <p>Codes are canonical: for lengths 1..11 in increasing order, symbols with that length in
 * increasing symbol order get consecutive code values (deflate's assignment). Each stream is an
 * LSB-first bitstream: the code of each symbol is emitted most-significant code bit first into
 * increasing bit positions (bit i of the stream is bit i % 8 of byte i / 8), i.e. the stream
 * holds the bit-reversed codes packed from the least significant bit up. After the last code
 * comes an end marker, one 1 bit, then zero bits up to the byte boundary: a stream whose codes
 * take b bits is {@code b / 8 + 1} bytes. The marker makes every wrong symbol count (a wrong n)
 * and every truncation or extension of a stream detectable.
 *
 * <p>Four streams: with n symbols, {@code seg = (n + 3) / 4}; streams 0, 1, 2 encode
 * {@code seg} symbols each ({@code src[off + i * seg, off + (i + 1) * seg)}), stream 3 the last
 * {@code n - 3 * seg}. The encoder uses 4 streams when {@code n >= }{@value #MIN_4_STREAMS},
 * one stream below that (the decoder accepts one stream for any n, four streams only for
 * {@code n >= }{@value #MIN_4_STREAMS}). The number of symbols n is not stored: the caller
 * keeps it and passes it to {@link #decode}.
 *
 * <p>Decoding checks everything: unknown kind, malformed or incomplete length table, stream
 * lengths that do not add up, a stream that runs out of bits, a stream without its end marker
 * where its symbols end (bytes left over, trailing bytes, wrong n); all raise
 * {@link CorruptObjectException}. Reads never leave {@code src[off, off + len)}, and every
 * loop is bounded by n.
 */
public final class HuffmanCoder {
    /** Longest code, in bits; also the decoder's lookup-table index width. */
    public static final int MAX_CODE_LENGTH = 11;
    /** Kind byte: Huffman, one stream. */
    public static final int KIND_1_STREAM = 0;
    /** Kind byte: Huffman, four streams. */
    public static final int KIND_4_STREAMS = 1;
    /** Kind byte: the whole plane is one symbol. */
    public static final int KIND_SINGLE_SYMBOL = 2;
    /** Smallest n the encoder writes (and the decoder accepts) as four streams. */
    public static final int MIN_4_STREAMS = 4096;
    /** Largest n accepted. */
    public static final int MAX_N = Integer.MAX_VALUE / 2;

    private static final int TABLE_SIZE = 1 << MAX_CODE_LENGTH;
    private static final int TABLE_MASK = TABLE_SIZE - 1;
    private static final int RUN_NIBBLE = 12;
    /** Symbols decoded per refill of a 64-bit container: 7 stale bits + 5 x 11 <= 64. */
    private static final int PER_REFILL = 5;
    /** The most bytes a stream advances per refill: (7 + 5 x 11) / 8. */
    private static final int MAX_ADVANCE = 7;
    /** Decoder table entries: length | symbol << 16 (a shift by the entry shifts by the length). */
    private static final int SYM_SHIFT = 16;
    private static final int LEN_SUM_MASK = 0xFFFF;
    /** Multi-symbol entries: count | up to 3 symbols << 8 | bits << 32; the advance part. */
    private static final long MULTI_INC_MASK = 0x3F_0000_0003L;
    /** The most symbols one refill of the multi-symbol loop writes: 5 x 3. */
    private static final int MULTI_MAX_OUT = 15;
    /** Free output a multi-symbol refill needs: its last 4-byte write may start 12 symbols on. */
    private static final int MULTI_OUT_MARGIN = 16;
    /** Smallest n for which the decoder builds the multi-symbol table (2048 entries). */
    private static final int MULTI_MIN_N = 1 << 14;
    /** The encoder fills a pair table (used^2 entries) when n is at least this many times used^2. */
    private static final int PAIR_MIN_BYTES_PER_ENTRY = 16;
    /** Marks the encoder table entry (single or pair) of a symbol without a code: the stream is abandoned. */
    private static final int NO_CODE = 1 << 30;
    /** Symbols around those of a sample (in their low 7 bits, either sign) that get a code though the sample lacks them. */
    static final int SAMPLE_RANGE_MARGIN = 8;
    /**
     * The most those codes may cost, in thousandths of the sample's size under its own code; past
     * it (planes of few symbols, where a code kept for an absent symbol takes a share of the code
     * space that matters) the exact path is taken.
     */
    static final int SAMPLE_RESERVE_PERMILLE = 20;
    /**
     * When the sample's codes cost too much, a sample this many times larger (but at most
     * 1/{@value #LARGER_SAMPLE_FACTOR} of the input) is counted and tried before the whole input
     * is. Measured on the JMH chunk of BF16 XOR deltas: the low byte plane's sample of 32 K lacked
     * 66 of its 256 symbols, whose codes cost 2.2% of the plane, so each chunk counted all 2 M
     * bytes (a fifth of its encoding). An eighth of it lacked none: BF16 XOR_PLANES encode 0.90 →
     * 1.08-1.10 GB/s, F32 1.32-1.35 → 1.51-1.56, the same bytes.
     */
    static final int LARGER_SAMPLE_FACTOR = 8;
    private static final int LARGER_SAMPLE_STRIPES = 16;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private HuffmanCoder() {
    }

    /**
     * Reusable scratch space for {@link #encode}, {@link #estimate} and {@link #decode}, one per
     * thread: about 45 KB, plus a 256 KB pair table the first time encode has a large plane
     * with many symbols. The static methods without a state allocate one per call.
     */
    public static final class State {
        /** Histograms: 4 x 256 counts, one per stream (or one for a single stream). */
        final int[] hist = new int[4 * 256];
        final int[] h0 = new int[256];
        final int[] h1 = new int[256];
        final int[] h2 = new int[256];
        final int[] h3 = new int[256];
        /** Counts of byte pairs for {@link #encodeExact}, made on first use (256 KiB). */
        private int[] pairCounts;

        int[] pairCounts() {
            if (pairCounts == null) {
                pairCounts = new int[65536];
            }
            return pairCounts;
        }

        /** Code length per symbol. */
        final int[] lengths = new int[256];
        /** Encoder table per symbol: bit-reversed code << 4 | length. */
        final int[] codes = new int[256];
        /** Decoder table: length | symbol << 16, indexed by the next 11 stream bits. */
        final int[] decodeTable = new int[TABLE_SIZE];
        /** Multi-symbol decoder table: count | symbols << 8 | bits << 32. */
        final long[] multiTable = new long[TABLE_SIZE];
        /** Per-stream encoding regions: where each stream starts, and its end (the limit, then where it ended). */
        final int[] streamStarts = new int[4];
        final int[] streamEnds = new int[4];
        /** Per-stream decoding positions handed between loops. */
        final long[] positions = new long[4];
        /** Used symbols, (count << 8 | symbol), sorted. */
        final long[] sorted = new long[256];
        /** The other buffer and the bucket counts of {@link #sortKeys}. */
        final long[] sortBuffer = new long[256];
        final int[] sortBuckets = new int[256];
        /** Code lengths in sorted order / Moffat-Katajainen work array. */
        final int[] work = new int[256];
        final int[] lengthCount = new int[MAX_CODE_LENGTH + 1];
        final int[] nextCode = new int[MAX_CODE_LENGTH + 2];
        /** Symbol counts of the larger sample {@link #encodeWithCounts} may take. */
        final int[] largerSample = new int[256];
        /** Pair encoder table, indexed by two symbols (first in the low byte); allocated on first need. */
        int[] pairs;
        /** Package-merge lists (allocated on first need). */
        long[] pmA;
        long[] pmB;
        byte[][] pmLeaf;
        int[] pmSize;
    }

    // ---------------------------------------------------------------- public API

    /**
     * The most bytes {@link #encode} writes for {@code n} input bytes: an encoding is only
     * returned if it is smaller than n, so this is {@code max(n - 1, 0)}. Callers size dst with it.
     */
    public static int maxEncodedLength(int n) {
        if (n < 0 || n > MAX_N) {
            throw new IllegalArgumentException("n out of range: " + n);
        }
        return Math.max(n - 1, 0);
    }

    /** {@link #encode(byte[], int, int, byte[], int, State)} with a fresh state. */
    public static int encode(byte[] src, int off, int n, byte[] dst, int at) {
        return encode(src, off, n, dst, at, new State());
    }

    /**
     * Encodes {@code src[off, off + n)} into {@code dst} from {@code at}. Returns the encoded
     * length, which is smaller than n, or -1 if the encoding would not be smaller than n (the
     * caller then stores the bytes raw; nothing has been written). dst must have room for
     * {@link #maxEncodedLength(int) maxEncodedLength(n)} bytes from {@code at}; only
     * {@code dst[at, at + result)} is written.
     */
    public static int encode(byte[] src, int off, int n, byte[] dst, int at, State st) {
        Objects.checkFromIndexSize(off, n, src.length);
        Objects.checkFromIndexSize(at, maxEncodedLength(n), dst.length);
        if (n == 0) {
            return -1;
        }
        int streams = n >= MIN_4_STREAMS ? 4 : 1;
        histogram(src, off, n, streams, st);
        int used = buildLengths(st, streams);
        if (used == 1) {
            if (n <= 2) {
                return -1;
            }
            dst[at] = KIND_SINGLE_SYMBOL;
            dst[at + 1] = (byte) singleSymbol(st);
            return 2;
        }
        int[] lengths = st.lengths;
        int lastSym = 255;
        while (lengths[lastSym] == 0) {
            lastSym--;
        }
        int tableBytes = writeTable(lengths, lastSym, null, 0);
        long[] streamBytes = new long[4];
        long total = 2 + tableBytes + (streams == 4 ? 12 : 0);
        for (int s = 0; s < streams; s++) {
            streamBytes[s] = streamBytes(st.hist, s, lengths);
            total += streamBytes[s];
        }
        if (total >= n) {
            return -1;
        }
        int[] codes = assignCodes(st);
        int[] pairs = (long) used * used * PAIR_MIN_BYTES_PER_ENTRY <= n ? buildPairTable(st, used) : null;
        int q = at;
        dst[q++] = (byte) (streams == 4 ? KIND_4_STREAMS : KIND_1_STREAM);
        dst[q++] = (byte) lastSym;
        q += writeTable(lengths, lastSym, dst, q);
        if (streams == 1) {
            encodeStreamExactly(src, off, off + n, dst, q, q + (int) streamBytes[0], codes, pairs);
        } else {
            int seg = (n + 3) >>> 2;
            INT.set(dst, q, (int) streamBytes[0]);
            INT.set(dst, q + 4, (int) streamBytes[1]);
            INT.set(dst, q + 8, (int) streamBytes[2]);
            q += 12;
            int[] starts = st.streamStarts;
            int[] ends = st.streamEnds;
            for (int s = 0; s < 4; s++) {
                starts[s] = q;
                q += (int) streamBytes[s];
                ends[s] = q;
            }
            if (encodeFour(src, off, n, dst, codes, pairs, st) != 0 || ends[3] != q) {
                throw new AssertionError("stream sizes differ from the histogram's");
            }
            for (int s = 0; s < 3; s++) {
                if (ends[s] != starts[s + 1]) {
                    throw new AssertionError("stream " + s + " size differs from the histogram's");
                }
            }
        }
        return (int) total;
    }

    /**
     * As {@link #encode(byte[], int, int, byte[], int, State)}, with the code built from
     * {@code counts[countsOff, countsOff + 256)} (the symbol counts of a sample of {@code sampleN}
     * bytes of the input, as {@link #countsOfLastHistogram} gives them) instead of from a histogram
     * of the whole input: that pass was a fifth of a BF16 keyframe's encoding. The sample's symbols
     * get codes, and so do the symbols it lacks whose low 7 bits lie within
     * {@value #SAMPLE_RANGE_MARGIN} of its own (either sign: the rare exponents at a distribution's
     * tails) and 0; a symbol left without a code sends the input down the exact path, as does an
     * encoding that comes out too large, or a stream larger than a quarter of the room (the four
     * are coded at once, each into its quarter, then moved together and their sizes written).
     * Measured on 4 MiB BF16 keyframes: 0.08-0.19% larger than the exact code, and
     * no real exponent plane of the perf MLP fell back. Inputs under {@value #MIN_4_STREAMS} bytes
     * take the exact path. Unlike {@link #encode}, it may leave bytes written anywhere in
     * {@code dst[at, at + maxEncodedLength(n))}, past the result or when it returns -1.
     */
    public static int encodeWithCounts(byte[] src, int off, int n, int[] counts, int countsOff, int sampleN, byte[] dst, int at,
                                       State st) {
        Objects.checkFromIndexSize(off, n, src.length);
        Objects.checkFromIndexSize(at, maxEncodedLength(n), dst.length);
        if (n < MIN_4_STREAMS || sampleN <= 0) {
            return encode(src, off, n, dst, at, st);
        }
        int lo = 128;
        int hi = -1;
        for (int s = 0; s < 256; s++) {
            if (counts[countsOff + s] > 0) {
                lo = Math.min(lo, s & 0x7F);
                hi = Math.max(hi, s & 0x7F);
            }
        }
        int[] h = st.hist;
        double scale = (double) n / sampleN;
        for (int s = 0; s < 256; s++) {
            h[s] = (int) Math.min(n, (long) Math.ceil(counts[countsOff + s] * scale));
        }
        Arrays.fill(h, 256, 1024, 0);
        int[] lengths = st.lengths;
        if (buildLengths(st, 1) < 2) {
            return encode(src, off, n, dst, at, st);
        }
        long sampleOnly = sampleCost(h, lengths);
        for (int s = 0; s < 256; s++) {
            int low = s & 0x7F;
            if (h[s] == 0 && (low >= lo - SAMPLE_RANGE_MARGIN && low <= hi + SAMPLE_RANGE_MARGIN || low == 0)) {
                h[s] = 1;
            }
        }
        int used = buildLengths(st, 1);
        if (sampleCost(h, lengths) * 1000 > sampleOnly * (1000 + SAMPLE_RESERVE_PERMILLE)) {
            // codes kept for the symbols the sample lacks cost too much: a sample eight times
            // larger lacks fewer of them (one pass over an eighth of the input, not a whole one)
            if (n / LARGER_SAMPLE_FACTOR >= 2L * sampleN) { // (so the larger sample's own try never comes here again)
                int largerN = largerSampleCounts(src, off, n, st);
                return encodeWithCounts(src, off, n, st.largerSample, 0, largerN, dst, at, st);
            }
            return encode(src, off, n, dst, at, st);
        }
        return encodeInQuarters(src, off, n, dst, at, st, used);
    }

    /**
     * As {@link #encode(byte[], int, int, byte[], int, State)}, the same bytes, with the exact
     * histogram counted over pairs of bytes (one increment per two bytes in a table of 65,536,
     * then summed per byte) and the streams laid out as {@link #encodeWithCounts} lays them out,
     * instead of four per-stream histograms: measured on 2 MiB of a BF16 keyframe's plane 0
     * (about 60 symbols), 400 against 715 µs of counting. For a plane coded from its exact
     * histogram though a sample is at hand (the mantissa-bit layout's plane 0).
     */
    public static int encodeExact(byte[] src, int off, int n, byte[] dst, int at, State st) {
        Objects.checkFromIndexSize(off, n, src.length);
        Objects.checkFromIndexSize(at, maxEncodedLength(n), dst.length);
        if (n < MIN_4_STREAMS) {
            return encode(src, off, n, dst, at, st);
        }
        int[] pairs = st.pairCounts();
        Arrays.fill(pairs, 0);
        int i = off;
        for (int limit = off + n - 1; i < limit; i += 2) {
            pairs[(char) (short) SHORT.get(src, i)]++;
        }
        int[] h = st.hist;
        Arrays.fill(h, 0);
        if (i < off + n) {
            h[src[i] & 0xFF]++;
        }
        for (int p = 0; p < 65536; p++) {
            int c = pairs[p];
            if (c != 0) {
                h[p & 0xFF] += c;
                h[p >>> 8] += c;
            }
        }
        int used = buildLengths(st, 1);
        if (used < 2) {
            return encode(src, off, n, dst, at, st);
        }
        int[] lengths = st.lengths;
        int lastSym = 255;
        while (lengths[lastSym] == 0) {
            lastSym--;
        }
        // as encode: -1 when coded it would not be smaller (here the streams' bits unrounded, a
        // lower bound of what encode counts, so that nothing encode would code is given up)
        if (2 + writeTable(lengths, lastSym, null, 0) + 12 + (sampleCost(h, lengths) + 7) / 8 >= n) {
            return -1;
        }
        int len = encodeInQuarters(src, off, n, dst, at, st, used);
        return len >= n ? -1 : len;
    }

    /**
     * The four-stream encoding with the code lengths in {@code st.lengths} ({@code used} symbols
     * with a code): each stream is written into a quarter of the room, then the four are moved
     * together; a symbol without a code, or a stream outgrowing its quarter, sends the input down
     * the exact path ({@link #encode(byte[], int, int, byte[], int, State)}).
     */
    private static int encodeInQuarters(byte[] src, int off, int n, byte[] dst, int at, State st, int used) {
        int[] lengths = st.lengths;
        int[] codes = assignCodes(st);
        for (int s = 0; s < 256; s++) {
            if (lengths[s] == 0) {
                codes[s] = NO_CODE;
            }
        }
        int[] pairs = (long) used * used * PAIR_MIN_BYTES_PER_ENTRY <= n ? buildFullPairTable(st, used) : null;
        int lastSym = 255;
        while (lengths[lastSym] == 0) {
            lastSym--;
        }
        int limit = at + maxEncodedLength(n);
        int q = at;
        dst[q++] = (byte) KIND_4_STREAMS;
        dst[q++] = (byte) lastSym;
        q += writeTable(lengths, lastSym, dst, q);
        int sizes = q;
        q += 12;
        // the sizes are not known yet: each stream gets a quarter of the room, and streams 1-3
        // are moved down after stream 0 when done (one copy of the encoded bytes)
        int[] starts = st.streamStarts;
        int[] ends = st.streamEnds;
        int room = (limit - q) / 4;
        for (int s = 0; s < 4; s++) {
            starts[s] = q + s * room;
            ends[s] = starts[s] + room;
        }
        if (room <= 0 || encodeFour(src, off, n, dst, codes, pairs, st) != 0) {
            // too large, or a symbol the sample gave no code: the exact code, from a histogram
            return encode(src, off, n, dst, at, st);
        }
        for (int s = 0; s < 4; s++) {
            int len = ends[s] - starts[s];
            System.arraycopy(dst, starts[s], dst, q, len);
            if (s < 3) {
                INT.set(dst, sizes + 4 * s, len);
            }
            q += len;
        }
        return q - at;
    }

    /**
     * Counts the symbols of {@value #LARGER_SAMPLE_STRIPES} stripes spread over {@code src[off, off+n)},
     * 1/{@value #LARGER_SAMPLE_FACTOR} of it in all, into {@code st.largerSample}; returns the bytes counted.
     */
    private static int largerSampleCounts(byte[] src, int off, int n, State st) {
        int[] a = st.h0;
        int[] b = st.h1;
        Arrays.fill(a, 0);
        Arrays.fill(b, 0);
        int stripe = n / LARGER_SAMPLE_FACTOR / LARGER_SAMPLE_STRIPES & ~1;
        for (int k = 0; k < LARGER_SAMPLE_STRIPES; k++) {
            int from = off + (int) ((long) (n - stripe) * k / (LARGER_SAMPLE_STRIPES - 1));
            for (int i = from; i < from + stripe; i += 2) { // two tables: repeats do not chain through one counter
                a[src[i] & 0xFF]++;
                b[src[i + 1] & 0xFF]++;
            }
        }
        int[] c = st.largerSample;
        for (int v = 0; v < 256; v++) {
            c[v] = a[v] + b[v];
        }
        return stripe * LARGER_SAMPLE_STRIPES;
    }

    /** Bits of the counts h under the code lengths. */
    private static long sampleCost(int[] h, int[] lengths) {
        long bits = 0;
        for (int s = 0; s < 256; s++) {
            bits += (long) h[s] * lengths[s];
        }
        return bits;
    }

    /**
     * The pair table over all 256 x 256 pairs, {@link #NO_CODE} where either symbol has none: the
     * table filled with NO_CODE, then the pairs of the {@code used} symbols with a code (the first
     * {@code used} of {@code st.sorted}, as {@link #buildLengths} left them). Before, all 65,536
     * pairs were worked out one by one, 3.9% of a BF16 keyframe's encoding (async-profiler).
     */
    private static int[] buildFullPairTable(State st, int used) {
        if (st.pairs == null) {
            st.pairs = new int[1 << 16];
        }
        Arrays.fill(st.pairs, NO_CODE);
        return buildPairTable(st, used);
    }

    /** The symbol counts of the last histogram {@link #estimate} took (all its streams), into {@code out[at, at + 256)}. */
    public static void countsOfLastHistogram(State st, int[] out, int at) {
        int[] h = st.hist;
        for (int s = 0; s < 256; s++) {
            out[at + s] = h[s] + h[256 + s] + h[512 + s] + h[768 + s];
        }
    }

    /** {@link #estimate(byte[], int, int, State)} with a fresh state. */
    public static long estimate(byte[] src, int off, int n) {
        return estimate(src, off, n, new State());
    }

    /**
     * The exact length {@link #encode} returns for {@code src[off, off + n)} when it returns an
     * encoding, and otherwise a value {@code >= n} (the size the Huffman encoding would have,
     * or n for n <= 2 with one symbol, or 0 for n == 0). One histogram pass plus building the
     * code; about the cost of the histogram part of {@link #encode}.
     */
    public static long estimate(byte[] src, int off, int n, State st) {
        Objects.checkFromIndexSize(off, n, src.length);
        if (n == 0) {
            return 0;
        }
        int streams = n >= MIN_4_STREAMS ? 4 : 1;
        histogram(src, off, n, streams, st);
        int used = buildLengths(st, streams);
        if (used == 1) {
            return n <= 2 ? n : 2;
        }
        int[] lengths = st.lengths;
        int lastSym = 255;
        while (lengths[lastSym] == 0) {
            lastSym--;
        }
        long total = 2 + writeTable(lengths, lastSym, null, 0) + (streams == 4 ? 12 : 0);
        for (int s = 0; s < streams; s++) {
            total += streamBytes(st.hist, s, lengths);
        }
        return total;
    }

    /** {@link #decode(byte[], int, int, byte[], int, int, State)} with a fresh state. */
    public static void decode(byte[] src, int off, int len, byte[] dst, int dstOff, int n)
            throws CorruptObjectException {
        decode(src, off, len, dst, dstOff, n, new State());
    }

    /**
     * Decodes the encoding {@code src[off, off + len)} (exactly, all of it) into
     * {@code dst[dstOff, dstOff + n)}. Throws {@link CorruptObjectException} for any malformed
     * input, including an n that does not match the encoding. Reads only
     * {@code src[off, off + len)}; dst may be partially written when it throws.
     */
    public static void decode(byte[] src, int off, int len, byte[] dst, int dstOff, int n, State st)
            throws CorruptObjectException {
        Objects.checkFromIndexSize(off, len, src.length);
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        if (n == 0) {
            throw new CorruptObjectException("Huffman: an empty plane has no encoding (" + len + " bytes given)");
        }
        if (len < 2) {
            throw new CorruptObjectException("Huffman: encoding too short (" + len + " bytes)");
        }
        int end = off + len;
        int kind = src[off] & 0xFF;
        if (kind == KIND_SINGLE_SYMBOL) {
            if (len != 2) {
                throw new CorruptObjectException("Huffman: single-symbol encoding must be 2 bytes, got " + len);
            }
            Arrays.fill(dst, dstOff, dstOff + n, src[off + 1]);
            return;
        }
        if (kind != KIND_1_STREAM && kind != KIND_4_STREAMS) {
            throw new CorruptObjectException("Huffman: unknown encoding kind " + kind);
        }
        int q = readTable(src, off + 1, end, st);
        int[] table = buildDecodeTable(st);
        long[] multi = n >= MULTI_MIN_N ? buildMultiTable(table, st) : null;
        if (kind == KIND_1_STREAM) {
            decodeStream(src, 8L * q, end, dst, dstOff, dstOff + n, table, multi, 0);
            return;
        }
        if (n < MIN_4_STREAMS) {
            throw new CorruptObjectException("Huffman: 4-stream encoding for only " + n + " bytes (minimum "
                    + MIN_4_STREAMS + "); wrong length?");
        }
        if (end - q < 12) {
            throw new CorruptObjectException("Huffman: truncated stream lengths");
        }
        long l0 = Integer.toUnsignedLong((int) INT.get(src, q));
        long l1 = Integer.toUnsignedLong((int) INT.get(src, q + 4));
        long l2 = Integer.toUnsignedLong((int) INT.get(src, q + 8));
        q += 12;
        long rest = end - q;
        if (l0 + l1 + l2 > rest) {
            throw new CorruptObjectException("Huffman: stream lengths " + l0 + " + " + l1 + " + " + l2
                    + " exceed the " + rest + " bytes of stream data");
        }
        int seg = (n + 3) >>> 2;
        decode4(src, q, (int) l0, (int) l1, (int) l2, end, dst, dstOff, seg, dstOff + n, table, multi, st.positions);
    }

    /**
     * The code lengths (256 entries) of a Huffman encoding, validated; null for a single-symbol
     * encoding. For tests and diagnostics.
     */
    static int[] codeLengths(byte[] src, int off, int len) throws CorruptObjectException {
        Objects.checkFromIndexSize(off, len, src.length);
        if (len < 2) {
            throw new CorruptObjectException("Huffman: encoding too short (" + len + " bytes)");
        }
        int kind = src[off] & 0xFF;
        if (kind == KIND_SINGLE_SYMBOL) {
            return null;
        }
        if (kind != KIND_1_STREAM && kind != KIND_4_STREAMS) {
            throw new CorruptObjectException("Huffman: unknown encoding kind " + kind);
        }
        State st = new State();
        readTable(src, off + 1, off + len, st);
        return st.lengths.clone();
    }

    // ---------------------------------------------------------------- histogram and code construction

    /**
     * Per-stream histograms into {@code st.hist} (stream s at {@code hist[256 s ...]}); four
     * separate tables counted in parallel against store-to-load chains on repeated symbols.
     */
    private static void histogram(byte[] src, int off, int n, int streams, State st) {
        int[] a = st.h0;
        int[] b = st.h1;
        int[] c = st.h2;
        int[] d = st.h3;
        Arrays.fill(a, 0);
        Arrays.fill(b, 0);
        Arrays.fill(c, 0);
        Arrays.fill(d, 0);
        int[] h = st.hist;
        if (streams == 1) {
            int i = off;
            int end = off + n;
            for (int limit = end - 3; i < limit; i += 4) {
                a[src[i] & 0xFF]++;
                b[src[i + 1] & 0xFF]++;
                c[src[i + 2] & 0xFF]++;
                d[src[i + 3] & 0xFF]++;
            }
            for (; i < end; i++) {
                a[src[i] & 0xFF]++;
            }
            for (int s = 0; s < 256; s++) {
                h[s] = a[s] + b[s] + c[s] + d[s];
            }
            Arrays.fill(h, 256, 1024, 0);
            return;
        }
        int seg = (n + 3) >>> 2;
        int last = n - 3 * seg;
        int p1 = off + seg;
        int p2 = off + 2 * seg;
        int p3 = off + 3 * seg;
        for (int j = 0; j < last; j++) {
            a[src[off + j] & 0xFF]++;
            b[src[p1 + j] & 0xFF]++;
            c[src[p2 + j] & 0xFF]++;
            d[src[p3 + j] & 0xFF]++;
        }
        for (int j = last; j < seg; j++) {
            a[src[off + j] & 0xFF]++;
            b[src[p1 + j] & 0xFF]++;
            c[src[p2 + j] & 0xFF]++;
        }
        System.arraycopy(a, 0, h, 0, 256);
        System.arraycopy(b, 0, h, 256, 256);
        System.arraycopy(c, 0, h, 512, 256);
        System.arraycopy(d, 0, h, 768, 256);
    }

    /** The symbol of a one-symbol histogram, after {@link #buildLengths}. */
    static int singleSymbol(State st) {
        return (int) st.sorted[0] & 0xFF;
    }

    /**
     * Optimal code lengths, limited to {@value #MAX_CODE_LENGTH} bits, from the summed per-stream
     * histograms into {@code st.lengths}. Returns the number of used symbols; for 1 the lengths
     * are all 0.
     */
    static int buildLengths(State st, int streams) {
        int[] h = st.hist;
        long[] sorted = st.sorted;
        int[] lengths = st.lengths;
        Arrays.fill(lengths, 0);
        int used = 0;
        for (int s = 0; s < 256; s++) {
            long c = h[s];
            for (int k = 1; k < streams; k++) {
                c += h[256 * k + s];
            }
            if (c != 0) {
                sorted[used++] = c << 8 | s;
            }
        }
        if (used <= 1) {
            return used;
        }
        sortKeys(sorted, used, st);
        int[] a = st.work;
        for (int k = 0; k < used; k++) {
            a[k] = (int) (sorted[k] >>> 8);
        }
        minimumRedundancy(a, used, st.sortBuckets);
        if (a[0] > MAX_CODE_LENGTH) {
            packageMerge(st, used);
        }
        for (int k = 0; k < used; k++) {
            lengths[(int) sorted[k] & 0xFF] = a[k];
        }
        return used;
    }

    /**
     * Sorts {@code keys[0, n)}, distinct values of {@code count << 8 | symbol} listed in symbol
     * order, ascending: a least-significant-digit radix sort over the count's bytes (the symbol
     * byte is in order already), skipping the bytes where all counts agree. The order is the one
     * {@code Arrays.sort} gives (the keys are distinct), three times as fast on 2-256 symbols
     * (0.8 vs 2.3 us). Each chunk's codec choice builds a code for every plane of every candidate,
     * so a checkpoint of 300 tensors of 4 KB spent a fifth of its commit sorting.
     */
    static void sortKeys(long[] keys, int n, State st) {
        long or = 0;
        long and = -1L;
        for (int i = 0; i < n; i++) {
            or |= keys[i];
            and &= keys[i];
        }
        long[] src = keys;
        long[] dst = st.sortBuffer;
        int[] buckets = st.sortBuckets;
        for (int shift = 8; shift < 64 && (or ^ and) >>> shift != 0; shift += 8) {
            if (((or ^ and) >>> shift & 0xFF) == 0) {
                continue;
            }
            Arrays.fill(buckets, 0);
            for (int i = 0; i < n; i++) {
                buckets[(int) (src[i] >>> shift) & 0xFF]++;
            }
            int sum = 0;
            for (int b = 0; b < 256; b++) {
                int c = buckets[b];
                buckets[b] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                long v = src[i];
                dst[buckets[(int) (v >>> shift) & 0xFF]++] = v;
            }
            long[] t = src;
            src = dst;
            dst = t;
        }
        if (src != keys) {
            System.arraycopy(src, 0, keys, 0, n);
        }
    }

    /**
     * Moffat and Katajainen's in-place Huffman code lengths: a[0, m) holds weights in
     * non-decreasing order, on return the code lengths (non-increasing). m >= 2. {@code nodesAt}
     * (256 entries, overwritten) counts the internal nodes at each depth before the leaves'
     * depths are written: the paper's third phase reads them from a[] while writing the leaves
     * into it, in a count-down loop with a second exit whose loop-limit check (C2) failed in every
     * command-line commit, four times, each a trap and a recompilation of the caller. Measured
     * (LogCompilation, an 84 MB commit): buildLengths compiled 8 times in 125 ms, now 4 in 77 ms;
     * the commit's wall time moved within noise (14 runs each in turn, medians 1.195 / 1.210 s).
     */
    private static void minimumRedundancy(int[] a, int m, int[] nodesAt) {
        a[0] += a[1];
        int root = 0;
        int leaf = 2;
        for (int next = 1; next < m - 1; next++) {
            if (leaf >= m || a[root] < a[leaf]) {
                a[next] = a[root];
                a[root++] = next;
            } else {
                a[next] = a[leaf++];
            }
            if (leaf >= m || (root < next && a[root] < a[leaf])) {
                a[next] += a[root];
                a[root++] = next;
            } else {
                a[next] += a[leaf++];
            }
        }
        a[m - 2] = 0;
        for (int j = 0; j < m - 2; j++) { // next = m - 3 down to 0, counted up: counted down, it failed that check too
            int next = m - 3 - j;
            a[next] = a[a[next]] + 1;
        }
        Arrays.fill(nodesAt, 0, m, 0); // depths of the m - 1 internal nodes are below m - 1
        for (int k = 0; k <= m - 2; k++) {
            nodesAt[a[k]]++;
        }
        int avail = 1;
        int depth = 0;
        int next = m - 1;
        while (avail > 0) {
            int usedNodes = depth < m ? nodesAt[depth] : 0;
            for (int leaves = avail - usedNodes; leaves > 0; leaves--) {
                a[next--] = depth;
            }
            avail = 2 * usedNodes;
            depth++;
        }
    }

    /**
     * Package-merge: optimal code lengths of at most {@value #MAX_CODE_LENGTH} bits for the
     * m sorted weights {@code st.sorted[k] >>> 8}, into {@code st.work[0, m)}.
     */
    private static void packageMerge(State st, int m) {
        final int levels = MAX_CODE_LENGTH;
        if (st.pmA == null) {
            st.pmA = new long[512];
            st.pmB = new long[512];
            st.pmLeaf = new byte[levels + 1][512];
            st.pmSize = new int[levels + 1];
        }
        long[] sorted = st.sorted;
        long[] prev = st.pmA;
        long[] cur = st.pmB;
        byte[][] leaf = st.pmLeaf;
        int[] size = st.pmSize;
        for (int k = 0; k < m; k++) {
            prev[k] = sorted[k] >>> 8;
            leaf[levels][k] = 1;
        }
        size[levels] = m;
        for (int lvl = levels - 1; lvl >= 1; lvl--) {
            int packages = size[lvl + 1] >>> 1;
            int a = 0;
            int b = 0;
            int x = 0;
            byte[] flags = leaf[lvl];
            while (a < m || b < packages) {
                long pw = b < packages ? prev[2 * b] + prev[2 * b + 1] : Long.MAX_VALUE;
                if (a < m && (sorted[a] >>> 8) <= pw) {
                    cur[x] = sorted[a++] >>> 8;
                    flags[x] = 1;
                } else {
                    cur[x] = pw;
                    flags[x] = 0;
                    b++;
                }
                x++;
            }
            size[lvl] = x;
            long[] t = prev;
            prev = cur;
            cur = t;
        }
        int[] out = st.work;
        Arrays.fill(out, 0, m, 0);
        int take = 2 * m - 2;
        for (int lvl = 1; lvl <= levels && take > 0; lvl++) {
            byte[] flags = leaf[lvl];
            int leaves = 0;
            for (int x = 0; x < take; x++) {
                leaves += flags[x];
            }
            for (int k = 0; k < leaves; k++) {
                out[k]++;
            }
            take = 2 * (take - leaves);
        }
    }

    /** Canonical codes from {@code st.lengths}: {@code st.codes[s] = reversed code << 4 | length}. */
    static int[] assignCodes(State st) {
        int[] lengths = st.lengths;
        int[] next = canonicalStarts(st);
        int[] codes = st.codes;
        for (int s = 0; s < 256; s++) {
            int l = lengths[s];
            if (l != 0) {
                int c = next[l]++;
                codes[s] = (Integer.reverse(c) >>> (32 - l)) << 4 | l;
            } else {
                codes[s] = 0;
            }
        }
        return codes;
    }

    /** First canonical code per length, in {@code st.nextCode}. */
    private static int[] canonicalStarts(State st) {
        int[] count = st.lengthCount;
        Arrays.fill(count, 0);
        for (int s = 0; s < 256; s++) {
            count[st.lengths[s]]++;
        }
        int[] next = st.nextCode;
        int code = 0;
        count[0] = 0;
        for (int l = 1; l <= MAX_CODE_LENGTH; l++) {
            code = (code + count[l - 1]) << 1;
            next[l] = code;
        }
        return next;
    }

    /** Bytes of stream s: its symbols' code bits and the end marker bit, rounded up. */
    private static long streamBytes(int[] h, int s, int[] lengths) {
        long bits = 0;
        int base = 256 * s;
        for (int k = 0; k < 256; k++) {
            bits += (long) h[base + k] * lengths[k];
        }
        return (bits + 8) >>> 3;
    }

    /**
     * Writes the length table nibbles of symbols 0..lastSym at dst[q...] (or only counts them
     * when dst is null); returns its bytes.
     */
    static int writeTable(int[] lengths, int lastSym, byte[] dst, int q) {
        int nibbles = 0;
        int s = 0;
        while (s <= lastSym) {
            int l = lengths[s];
            if (l != 0) {
                nibbles = putNibble(dst, q, nibbles, l);
                s++;
                continue;
            }
            int z = 1;
            while (lengths[s + z] == 0) {
                z++; // stops: lengths[lastSym] != 0
            }
            if (z <= 2) {
                for (int k = 0; k < z; k++) {
                    nibbles = putNibble(dst, q, nibbles, 0);
                }
            } else {
                nibbles = putNibble(dst, q, nibbles, RUN_NIBBLE);
                nibbles = putNibble(dst, q, nibbles, (z - 2) & 15);
                nibbles = putNibble(dst, q, nibbles, (z - 2) >>> 4);
            }
            s += z;
        }
        return (nibbles + 1) >>> 1;
    }

    private static int putNibble(byte[] dst, int q, int index, int v) {
        if (dst != null) {
            int p = q + (index >>> 1);
            if ((index & 1) == 0) {
                dst[p] = (byte) v;
            } else {
                dst[p] = (byte) (dst[p] | v << 4);
            }
        }
        return index + 1;
    }

    // ---------------------------------------------------------------- encoding

    /**
     * The pair table for the used symbols: entry {@code s0 | s1 << 8} holds the codes of s0 then
     * s1 as {@code (code0 | code1 << len0) << 5 | (len0 + len1)} (at most 22 bits of code).
     */
    private static int[] buildPairTable(State st, int used) {
        if (st.pairs == null) {
            st.pairs = new int[1 << 16];
        }
        int[] pairs = st.pairs;
        int[] codes = st.codes;
        long[] sorted = st.sorted;
        for (int x = 0; x < used; x++) {
            int s0 = (int) sorted[x] & 0xFF;
            for (int y = 0; y < used; y++) {
                int s1 = (int) sorted[y] & 0xFF;
                pairs[s0 | s1 << 8] = pairEntry(codes[s0], codes[s1]);
            }
        }
        return pairs;
    }

    /**
     * Rounds of four symbols per stream that four bit writers can code without a check, given each
     * stream's room (bytes left before its end) and the symbols each has left: a round codes at
     * most 44 bits (four codes of {@value #MAX_CODE_LENGTH} bits) onto at most 7 pending, writes 8
     * bytes at its stream's position and moves it on by at most 6.
     */
    static int fourStreamRounds(int room0, int room1, int room2, int room3, int symbolsLeft) {
        int room = Math.min(Math.min(room0, room1), Math.min(room2, room3)) - 8;
        return room < 0 ? 0 : Math.min(room / 6 + 1, symbolsLeft >> 2);
    }

    /** The pair table entry of two encoder table entries: s0's code, then s1's; {@link #NO_CODE} if either has none. */
    private static int pairEntry(int c0, int c1) {
        if (((c0 | c1) & NO_CODE) != 0) {
            return NO_CODE;
        }
        int l0 = c0 & 15;
        return ((c0 >>> 4) | (c1 >>> 4) << l0) << 5 | (l0 + (c1 & 15));
    }

    /** Encodes src[i, iEnd) as one stream into exactly dst[p, end) (end is known from the histogram). */
    private static void encodeStreamExactly(byte[] src, int i, int iEnd, byte[] dst, int p, int end, int[] codes, int[] pairs) {
        int got = encodeStream(src, i, iEnd, dst, p, end, codes, pairs, 0, 0);
        if (got != end) {
            throw new AssertionError("stream size " + got + " != " + end);
        }
    }

    /**
     * Encodes the four streams of src[off, off + n) from dst[st.streamStarts[s]], each writing
     * nothing at or past st.streamEnds[s]. While every stream has four symbols left and 8 bytes of
     * room, four symbols of each stream in turn (as two pairs when there is a pair table), each
     * stream flushed by one 8-byte write: four independent bit writers keep the core busy where
     * one waits on its own shifts (measured, same-JVM A/B on 1 MiB planes: 6-14% faster). Then each
     * stream's rest alone. Returns 0 with st.streamEnds set to where each stream ended, or -1 if
     * a stream does not fit or a symbol has no code.
     */
    private static int encodeFour(byte[] src, int off, int n, byte[] dst, int[] codes, int[] pairs, State st) {
        int seg = (n + 3) >>> 2;
        int last = n - 3 * seg;
        int[] starts = st.streamStarts;
        int[] ends = st.streamEnds;
        int e0 = ends[0];
        int e1 = ends[1];
        int e2 = ends[2];
        int e3 = ends[3];
        int p0 = starts[0];
        int p1 = starts[1];
        int p2 = starts[2];
        int p3 = starts[3];
        long c0 = 0;
        long c1 = 0;
        long c2 = 0;
        long c3 = 0;
        int b0 = 0;
        int b1 = 0;
        int b2 = 0;
        int b3 = 0;
        int flagged = 0;
        int j = 0;
        int o1 = off + seg;
        int o2 = off + 2 * seg;
        int o3 = off + 3 * seg;
        while (true) {
            // run as a counted loop, which the JIT compiles better than one that tests every
            // stream's room each round
            int rounds = fourStreamRounds(e0 - p0, e1 - p1, e2 - p2, e3 - p3, last - j);
            if (rounds <= 0) {
                break;
            }
            int stop = j + 4 * rounds;
            for (; j < stop; j += 4) {
                if (pairs != null) { // the same every round: the JIT makes a loop for each case
                    int v0 = (int) INT.get(src, off + j);
                    int v1 = (int) INT.get(src, o1 + j);
                    int v2 = (int) INT.get(src, o2 + j);
                    int v3 = (int) INT.get(src, o3 + j);
                    int x0 = pairs[v0 & 0xFFFF];
                    int y0 = pairs[v0 >>> 16];
                    int x1 = pairs[v1 & 0xFFFF];
                    int y1 = pairs[v1 >>> 16];
                    int x2 = pairs[v2 & 0xFFFF];
                    int y2 = pairs[v2 >>> 16];
                    int x3 = pairs[v3 & 0xFFFF];
                    int y3 = pairs[v3 >>> 16];
                    flagged |= x0 | y0 | x1 | y1 | x2 | y2 | x3 | y3;
                    c0 |= ((x0 >>> 5) | (long) (y0 >>> 5) << (x0 & 31)) << b0;
                    b0 += (x0 & 31) + (y0 & 31);
                    c1 |= ((x1 >>> 5) | (long) (y1 >>> 5) << (x1 & 31)) << b1;
                    b1 += (x1 & 31) + (y1 & 31);
                    c2 |= ((x2 >>> 5) | (long) (y2 >>> 5) << (x2 & 31)) << b2;
                    b2 += (x2 & 31) + (y2 & 31);
                    c3 |= ((x3 >>> 5) | (long) (y3 >>> 5) << (x3 & 31)) << b3;
                    b3 += (x3 & 31) + (y3 & 31);
                } else {
                    for (int r = 0; r < 4; r++) {
                        int x0 = codes[src[off + j + r] & 0xFF];
                        int x1 = codes[src[o1 + j + r] & 0xFF];
                        int x2 = codes[src[o2 + j + r] & 0xFF];
                        int x3 = codes[src[o3 + j + r] & 0xFF];
                        flagged |= x0 | x1 | x2 | x3;
                        c0 |= (long) (x0 >>> 4) << b0;
                        b0 += x0 & 15;
                        c1 |= (long) (x1 >>> 4) << b1;
                        b1 += x1 & 15;
                        c2 |= (long) (x2 >>> 4) << b2;
                        b2 += x2 & 15;
                        c3 |= (long) (x3 >>> 4) << b3;
                        b3 += x3 & 15;
                    }
                }
                LONG.set(dst, p0, c0); // at most 7 + 44 bits: 6 whole bytes at most leave
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
        if ((flagged & NO_CODE) != 0
                || (ends[0] = encodeStream(src, off + j, off + seg, dst, p0, e0, codes, pairs, c0, b0)) < 0
                || (ends[1] = encodeStream(src, o1 + j, o1 + seg, dst, p1, e1, codes, pairs, c1, b1)) < 0
                || (ends[2] = encodeStream(src, o2 + j, o2 + seg, dst, p2, e2, codes, pairs, c2, b2)) < 0
                || (ends[3] = encodeStream(src, o3 + j, off + n, dst, p3, e3, codes, pairs, c3, b3)) < 0) {
            return -1;
        }
        return 0;
    }

    /**
     * Encodes src[i, iEnd) as one LSB-first stream from dst[p], writing nothing at or past end;
     * returns where the stream ends, or -1 if it does not fit before end or meets a symbol whose
     * table entry is {@link #NO_CODE}. pairs, the pair table, may be null. acc and bits are the
     * writer state to go on from (bits &lt; 8 pending bits of acc, not yet written at p); 0, 0 to start.
     */
    private static int encodeStream(byte[] src, int i, int iEnd, byte[] dst, int p, int end, int[] codes,
            int[] pairs, long acc, int bits) {
        int flagged = 0;
        while (pairs != null) {
            // 4 symbols per iteration as 2 pairs (at most 44 bits) and one 8-byte write, which
            // advances at most (7 + 44) / 8 = 6 bytes
            int room = end - p - 8;
            if (room < 0) {
                break;
            }
            int iters = Math.min((iEnd - i) >> 2, room / 6 + 1);
            if (iters <= 0) {
                break;
            }
            int limit = i + (iters << 2);
            for (; i < limit; i += 4) {
                int v = (int) INT.get(src, i);
                int e0 = pairs[v & 0xFFFF];
                int e1 = pairs[v >>> 16];
                flagged |= e0 | e1;
                // the two pairs joined first, off the accumulator's dependency chain
                long w = (e0 >>> 5) | (long) (e1 >>> 5) << (e0 & 31);
                acc |= w << bits;
                bits += (e0 & 31) + (e1 & 31);
                LONG.set(dst, p, acc);
                p += bits >>> 3;
                acc >>>= bits & ~7;
                bits &= 7;
            }
        }
        while (true) {
            int room = end - p - 8;
            if (room < 0) {
                break;
            }
            int iters = Math.min((iEnd - i) / PER_REFILL, room / MAX_ADVANCE + 1);
            if (iters <= 0) {
                break;
            }
            int limit = i + iters * PER_REFILL;
            for (; i < limit; i += PER_REFILL) {
                int e0 = codes[src[i] & 0xFF];
                int e1 = codes[src[i + 1] & 0xFF];
                int e2 = codes[src[i + 2] & 0xFF];
                int e3 = codes[src[i + 3] & 0xFF];
                int e4 = codes[src[i + 4] & 0xFF];
                flagged |= e0 | e1 | e2 | e3 | e4;
                acc |= (long) (e0 >>> 4) << bits;
                bits += e0 & 15;
                acc |= (long) (e1 >>> 4) << bits;
                bits += e1 & 15;
                acc |= (long) (e2 >>> 4) << bits;
                bits += e2 & 15;
                acc |= (long) (e3 >>> 4) << bits;
                bits += e3 & 15;
                acc |= (long) (e4 >>> 4) << bits;
                bits += e4 & 15;
                LONG.set(dst, p, acc);
                p += bits >>> 3;
                acc >>>= bits & ~7;
                bits &= 7;
            }
        }
        for (; i < iEnd; i++) {
            int e = codes[src[i] & 0xFF];
            flagged |= e;
            acc |= (long) (e >>> 4) << bits;
            bits += e & 15;
            while (bits >= 8) {
                if (p >= end) {
                    return -1;
                }
                dst[p++] = (byte) acc;
                acc >>>= 8;
                bits -= 8;
            }
        }
        if (p >= end || (flagged & NO_CODE) != 0) {
            return -1;
        }
        // end marker: a 1 bit after the last code, then zero bits to the byte boundary
        dst[p++] = (byte) (acc | 1L << bits);
        return p;
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Reads the length table at src[q, end) into {@code st.lengths} and checks it is a complete
     * code. Returns the position after it.
     */
    static int readTable(byte[] src, int q, int end, State st) throws CorruptObjectException {
        if (q >= end) {
            throw new CorruptObjectException("Huffman: truncated code-length table");
        }
        int lastSym = src[q++] & 0xFF;
        int[] lengths = st.lengths;
        Arrays.fill(lengths, 0);
        int s = 0;
        int nib = 0;
        long avail = 2L * (end - q);
        while (s <= lastSym) {
            if (nib >= avail) {
                throw new CorruptObjectException("Huffman: truncated code-length table");
            }
            int v = nibble(src, q, nib++);
            if (v <= MAX_CODE_LENGTH) {
                lengths[s++] = v;
            } else if (v == RUN_NIBBLE) {
                if (nib + 2 > avail) {
                    throw new CorruptObjectException("Huffman: truncated code-length table");
                }
                int run = (nibble(src, q, nib) | nibble(src, q, nib + 1) << 4) + 2;
                nib += 2;
                if (run > lastSym + 1 - s) {
                    throw new CorruptObjectException("Huffman: code-length table run of " + run
                            + " unused symbols from " + s + " passes the last symbol " + lastSym);
                }
                s += run;
            } else {
                throw new CorruptObjectException("Huffman: invalid code-length table nibble " + v);
            }
        }
        if (lengths[lastSym] == 0) {
            throw new CorruptObjectException("Huffman: last symbol " + lastSym + " of the code-length table is unused");
        }
        if ((nib & 1) != 0 && nibble(src, q, nib) != 0) {
            throw new CorruptObjectException("Huffman: non-zero pad nibble in the code-length table");
        }
        int kraft = 0;
        for (int k = 0; k <= lastSym; k++) {
            if (lengths[k] != 0) {
                kraft += 1 << (MAX_CODE_LENGTH - lengths[k]);
            }
        }
        if (kraft != TABLE_SIZE) {
            throw new CorruptObjectException("Huffman: code lengths do not form a complete prefix code (Kraft sum "
                    + kraft + "/" + TABLE_SIZE + ")");
        }
        return q + ((nib + 1) >>> 1);
    }

    private static int nibble(byte[] src, int q, int index) {
        return (src[q + (index >>> 1)] >>> ((index & 1) << 2)) & 15;
    }

    /** The 11-bit lookup table from {@code st.lengths} (a complete code: every entry is set). */
    static int[] buildDecodeTable(State st) {
        int[] lengths = st.lengths;
        int[] next = canonicalStarts(st);
        int[] t = st.decodeTable;
        for (int s = 0; s < 256; s++) {
            int l = lengths[s];
            if (l == 0) {
                continue;
            }
            int c = next[l]++;
            int r = Integer.reverse(c) >>> (32 - l);
            int e = l | s << SYM_SHIFT;
            for (int x = r; x < TABLE_SIZE; x += 1 << l) {
                t[x] = e;
            }
        }
        return t;
    }

    /**
     * The multi-symbol table from the single-symbol one: for each 11-bit index, as many whole
     * codes (up to 3) as fit in the 11 bits, as {@code count | symbols << 8 | bits << 32} (first
     * symbol in bits 8-15). A shift by {@code entry >>> 32} consumes the bits; adding
     * {@code entry & MULTI_INC_MASK} to {@code position | bits << 32} advances both.
     */
    private static long[] buildMultiTable(int[] t, State st) {
        long[] m = st.multiTable;
        for (int x = 0; x < TABLE_SIZE; x++) {
            int e = t[x];
            int bits = e & 15;
            int syms = e >>> SYM_SHIFT;
            int count = 1;
            e = t[x >>> bits];
            int l = e & 15;
            if (bits + l <= MAX_CODE_LENGTH) {
                syms |= (e >>> SYM_SHIFT) << 8;
                bits += l;
                count = 2;
                e = t[x >>> bits];
                l = e & 15;
                if (bits + l <= MAX_CODE_LENGTH) {
                    syms |= (e >>> SYM_SHIFT) << 16;
                    bits += l;
                    count = 3;
                }
            }
            m[x] = count | (long) syms << 8 | (long) bits << 32;
        }
        return m;
    }

    /**
     * The four streams at src[q, end) (lengths l0, l1, l2 and the rest) into dst[o, oEnd): one
     * multi-symbol lookup per stream in turn while every stream's 8-byte reads stay inside the
     * stream and its 4-byte writes inside its own output, then each stream's rest alone. Without
     * a multi-symbol table m (small n), each stream alone.
     */
    private static void decode4(byte[] src, int q, int l0, int l1, int l2, int end, byte[] dst, int o, int seg,
            int oEnd, int[] t, long[] m, long[] x) throws CorruptObjectException {
        int e0 = q + l0;
        int e1 = e0 + l1;
        int e2 = e1 + l2;
        int oe0 = o + seg;
        int oe1 = oe0 + seg;
        int oe2 = oe1 + seg;
        // per stream: output position | bits consumed in the stream << 32 (a stream of at most
        // 2^28 symbols takes < 2^32 bits; positions < 2^31 never carry into the bits)
        x[0] = o;
        x[1] = oe0;
        x[2] = oe1;
        x[3] = oe2;
        if (m != null) {
            fast4(src, q, e0, e1, e2, end, dst, oe0, oe1, oe2, oEnd, m, x);
        }
        decodeStream(src, 8L * q + (x[0] >>> 32), e0, dst, (int) x[0], oe0, t, m, 0);
        decodeStream(src, 8L * e0 + (x[1] >>> 32), e1, dst, (int) x[1], oe1, t, m, 1);
        decodeStream(src, 8L * e1 + (x[2] >>> 32), e2, dst, (int) x[2], oe2, t, m, 2);
        decodeStream(src, 8L * e2 + (x[3] >>> 32), end, dst, (int) x[3], oEnd, t, m, 3);
    }

    /**
     * The interleaved part of {@link #decode4}: streams starting at bytes s0 (= q), s1, s2, s3,
     * ending at s1, s2, s3, e3, from and to the positions in xs. A method of its own so that
     * the JIT compiles the loop alone (its register allocation suffers from anything around it).
     * Written out two streams at a time, as {@link ContextHuffman}'s decoder is, it decoded BF16
     * planes 8-19% faster once C2 had compiled it, but one JVM per command (84 MB export to a
     * pipe, as ./coral runs it) took 10-13% longer: C2 compiling the larger method on 2 cores.
     * So it keeps its loops (measured 2026-12-02; the same as two loops: no faster under C2).
     */
    private static void fast4(byte[] src, int s0, int s1, int s2, int s3, int e3, byte[] dst, int oe0, int oe1,
            int oe2, int oe3, long[] m, long[] xs) {
        int e0 = s1;
        int e1 = s2;
        int e2 = s3;
        long x0 = xs[0];
        long x1 = xs[1];
        long x2 = xs[2];
        long x3 = xs[3];
        final long inc = MULTI_INC_MASK;
        while (true) {
            int r0 = e0 - s0 - (int) (x0 >>> 35) - 8;
            int r1 = e1 - s1 - (int) (x1 >>> 35) - 8;
            int r2 = e2 - s2 - (int) (x2 >>> 35) - 8;
            int r3 = e3 - s3 - (int) (x3 >>> 35) - 8;
            int w0 = oe0 - (int) x0 - MULTI_OUT_MARGIN;
            int w1 = oe1 - (int) x1 - MULTI_OUT_MARGIN;
            int w2 = oe2 - (int) x2 - MULTI_OUT_MARGIN;
            int w3 = oe3 - (int) x3 - MULTI_OUT_MARGIN;
            if ((r0 | r1 | r2 | r3 | w0 | w1 | w2 | w3) < 0) {
                break;
            }
            int iters = Math.min(Math.min(Math.min(r0, r1), Math.min(r2, r3)) / MAX_ADVANCE,
                    Math.min(Math.min(w0, w1), Math.min(w2, w3)) / MULTI_MAX_OUT) + 1;
            for (; iters > 0; iters--) {
                long c0 = (long) LONG.get(src, s0 + (int) (x0 >>> 35)) >>> ((x0 >>> 32) & 7);
                long c1 = (long) LONG.get(src, s1 + (int) (x1 >>> 35)) >>> ((x1 >>> 32) & 7);
                long c2 = (long) LONG.get(src, s2 + (int) (x2 >>> 35)) >>> ((x2 >>> 32) & 7);
                long c3 = (long) LONG.get(src, s3 + (int) (x3 >>> 35)) >>> ((x3 >>> 32) & 7);
                for (int j = 0; j < PER_REFILL; j++) {
                    long y0 = m[(int) c0 & TABLE_MASK];
                    long y1 = m[(int) c1 & TABLE_MASK];
                    long y2 = m[(int) c2 & TABLE_MASK];
                    long y3 = m[(int) c3 & TABLE_MASK];
                    c0 >>>= (y0 >>> 32);
                    c1 >>>= (y1 >>> 32);
                    c2 >>>= (y2 >>> 32);
                    c3 >>>= (y3 >>> 32);
                    INT.set(dst, (int) x0, (int) y0 >>> 8);
                    INT.set(dst, (int) x1, (int) y1 >>> 8);
                    INT.set(dst, (int) x2, (int) y2 >>> 8);
                    INT.set(dst, (int) x3, (int) y3 >>> 8);
                    x0 += y0 & inc;
                    x1 += y1 & inc;
                    x2 += y2 & inc;
                    x3 += y3 & inc;
                }
            }
        }
        xs[0] = x0;
        xs[1] = x1;
        xs[2] = x2;
        xs[3] = x3;
    }

    /**
     * Decodes dst[o, oEnd) from the stream ending at byte {@code end}, starting at bit position
     * {@code b} of src; checks that the end marker follows the last symbol and ends the stream.
     * m, the multi-symbol table, may be null.
     */
    private static void decodeStream(byte[] src, long b, int end, byte[] dst, int o, int oEnd, int[] t, long[] m,
            int stream) throws CorruptObjectException {
        while (m != null) {
            int r = end - (int) (b >>> 3) - 8;
            int w = oEnd - o - MULTI_OUT_MARGIN;
            if ((r | w) < 0) {
                break;
            }
            int iters = Math.min(r / MAX_ADVANCE, w / MULTI_MAX_OUT) + 1;
            for (; iters > 0; iters--) {
                long c = (long) LONG.get(src, (int) (b >>> 3)) >>> (b & 7);
                for (int j = 0; j < PER_REFILL; j++) {
                    long y = m[(int) c & TABLE_MASK];
                    c >>>= (y >>> 32);
                    INT.set(dst, o, (int) y >>> 8);
                    o += (int) y & 3;
                    b += y >>> 32;
                }
            }
        }
        while (true) {
            int room = end - (int) (b >>> 3) - 8;
            if (room < 0) {
                break;
            }
            int iters = Math.min((oEnd - o) / PER_REFILL, room / MAX_ADVANCE + 1);
            if (iters <= 0) {
                break;
            }
            int oLimit = o + iters * PER_REFILL;
            for (; o < oLimit; o += PER_REFILL) {
                long c = (long) LONG.get(src, (int) (b >>> 3)) >>> (b & 7);
                int a0 = t[(int) c & TABLE_MASK];
                c >>>= a0;
                int a1 = t[(int) c & TABLE_MASK];
                c >>>= a1;
                int a2 = t[(int) c & TABLE_MASK];
                c >>>= a2;
                int a3 = t[(int) c & TABLE_MASK];
                c >>>= a3;
                int a4 = t[(int) c & TABLE_MASK];
                b += (a0 + a1 + a2 + a3 + a4) & LEN_SUM_MASK;
                dst[o] = (byte) (a0 >>> SYM_SHIFT);
                dst[o + 1] = (byte) (a1 >>> SYM_SHIFT);
                dst[o + 2] = (byte) (a2 >>> SYM_SHIFT);
                dst[o + 3] = (byte) (a3 >>> SYM_SHIFT);
                dst[o + 4] = (byte) (a4 >>> SYM_SHIFT);
            }
        }
        // tail: one symbol at a time, reading only inside the stream
        long bitsLeft = 8L * end - b;
        while (o < oEnd) {
            int p = (int) (b >>> 3);
            long c = peek(src, p, end) >>> (b & 7);
            int a = t[(int) c & TABLE_MASK];
            int l = a & LEN_SUM_MASK;
            bitsLeft -= l;
            if (bitsLeft < 0) {
                throw new CorruptObjectException("Huffman: stream " + stream + " runs out of bits "
                        + (oEnd - o) + " symbols before its end (truncated, or wrong length)");
            }
            dst[o++] = (byte) (a >>> SYM_SHIFT);
            b += l;
        }
        // the end marker: one 1 bit, then zero bits to the end of the stream's last byte
        if (bitsLeft < 1) {
            throw new CorruptObjectException("Huffman: stream " + stream
                    + " has no end marker (truncated, or wrong length)");
        }
        if (bitsLeft > 8) {
            throw new CorruptObjectException("Huffman: stream " + stream + " has " + ((bitsLeft - 1) >>> 3)
                    + " unused bytes at its end (wrong length?)");
        }
        if ((src[end - 1] & 0xFF) >>> (b & 7) != 1) {
            throw new CorruptObjectException("Huffman: stream " + stream + " has a bad end marker (wrong length?)");
        }
    }

    /** Up to 8 bytes from src[p, end), little-endian, zero-filled past end. */
    private static long peek(byte[] src, int p, int end) {
        if (end - p >= 8) {
            return (long) LONG.get(src, p);
        }
        long v = 0;
        for (int i = end - 1; i >= p; i--) {
            v = v << 8 | (src[i] & 0xFF);
        }
        return v;
    }
}
