package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Mostly-zero planes ({@link PlaneMode#SPARSE}): every nonzero byte with the run of zero bytes
 * before it, the runs and the bytes each coded by {@link HuffmanCoder}. Any Huffman code spends
 * at least one bit per byte, and zstd at level 1 came to 12.2% of the raw size; the sign and
 * exponent plane of an fp32 Adam XOR delta is 93% zeros with 0.53 bits of entropy per byte, and
 * this coding stores it in 6.7% (measured on the perf MLP's 84 MB checkpoints). Coding and
 * decoding cost time in proportion to the nonzero bytes, and decoding into an XOR chain touches
 * only them.
 *
 * <pre>
 * offset size field (integers little-endian)
 *  0      4   T, the number of run tokens (at most n)
 *  4      4   B, the bytes of the token stream: T when the tokens are stored as they are, fewer
 *             when they are a {@link HuffmanCoder} encoding of T bytes
 *  8      B   the token stream. A token r below 255 stands for r zero bytes and then the next
 *             value; 255 stands for 255 zero bytes and no value. The last token is below 255.
 *  8+B        the value stream, to the body's end: the V values (V = the tokens below 255),
 *             nonzero, as they are (V bytes) or as a HuffmanCoder encoding (fewer bytes)
 * </pre>
 *
 * The bytes after the last value are zero. Not thread-safe: one {@link Scratch} per thread.
 */
final class SparsePlane {
    /** A token for 255 zero bytes with no value after them. */
    static final int RUN_ESCAPE = 255;
    static final int HEADER_BYTES = 8;
    /**
     * Planes with more nonzero bytes than 1 in this many are not tried: each value costs a token
     * and itself, and the coding slows with density. Measured on the JMH data's XOR high-mantissa
     * plane (31% nonzero): 6% smaller than Huffman, but XOR_PLANES encoded at 596 MB/s instead of
     * 984 and decoded at 1190 instead of 1529. The sign and exponent plane of a real Adam step is
     * 7% nonzero.
     */
    static final int MAX_NONZERO_FRACTION = 8;

    /**
     * On planes where most blocks of this many bytes are zero, tokenizing skips a zero block with
     * one test (8 words ORed together), tried once as many bytes have passed since the last value.
     * Measured (tokenizing alone, same-JVM A/B): the sign and exponent XOR plane of the JMH BF16
     * step (0.38% nonzero, 78% of blocks zero) 790 -> 360-380 us per 2 MiB. On an fp32 Adam step's
     * (5.5% nonzero, 3% of blocks zero) the test is a coin toss the branch predictor loses:
     * tried there, it cost 30-40%, so {@link #ZERO_BLOCK_PROBES} blocks decide first.
     */
    static final int ZERO_BLOCK = 64;
    /** Blocks probed, spread over the plane, to decide whether to skip zero blocks. */
    static final int ZERO_BLOCK_PROBES = 32;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Per-thread buffers: the tokens and values of the plane at hand, and their codings. */
    static final class Scratch {
        byte[] tokens = new byte[0];
        byte[] values = new byte[0];
        byte[] codedTokens = new byte[0];
        byte[] codedValues = new byte[0];
        int tokenCount;
        int valueCount;
    }

    private SparsePlane() {
    }

    /**
     * The length {@link #encode} would return for {@code src[off, off+n)}, or a value of at least
     * n when it would return -1.
     */
    static long estimate(byte[] src, int off, int n, Scratch s, HuffmanCoder.State st) {
        if (n == 0 || !tokenize(src, off, n, s)) {
            return n;
        }
        return HEADER_BYTES + streamBytes(s.tokens, s.tokenCount, st) + streamBytes(s.values, s.valueCount, st);
    }

    private static long streamBytes(byte[] a, int count, HuffmanCoder.State st) {
        return count == 0 ? 0 : Math.min(count, HuffmanCoder.estimate(a, 0, count, st));
    }

    /**
     * Encodes {@code src[off, off+n)} into {@code dst[at...]} when that takes fewer than n bytes
     * and returns the length; else returns -1 and writes nothing. dst needs room for n - 1 bytes
     * from {@code at}.
     */
    static int encode(byte[] src, int off, int n, byte[] dst, int at, Scratch s, HuffmanCoder.State st) {
        if (n == 0 || !tokenize(src, off, n, s)) {
            return -1;
        }
        int t = s.tokenCount;
        int v = s.valueCount;
        s.codedTokens = CodecWorkspace.grow(s.codedTokens, HuffmanCoder.maxEncodedLength(t));
        s.codedValues = CodecWorkspace.grow(s.codedValues, HuffmanCoder.maxEncodedLength(v));
        int tb = t == 0 ? -1 : HuffmanCoder.encode(s.tokens, 0, t, s.codedTokens, 0, st);
        int vb = v == 0 ? -1 : HuffmanCoder.encode(s.values, 0, v, s.codedValues, 0, st);
        long total = HEADER_BYTES + (long) (tb < 0 ? t : tb) + (vb < 0 ? v : vb);
        if (total >= n) {
            return -1;
        }
        ChunkFormat.putInt(dst, at, t);
        ChunkFormat.putInt(dst, at + 4, tb < 0 ? t : tb);
        int q = at + HEADER_BYTES;
        if (tb < 0) {
            System.arraycopy(s.tokens, 0, dst, q, t);
            q += t;
        } else {
            System.arraycopy(s.codedTokens, 0, dst, q, tb);
            q += tb;
        }
        if (vb < 0) {
            System.arraycopy(s.values, 0, dst, q, v);
        } else {
            System.arraycopy(s.codedValues, 0, dst, q, vb);
        }
        return (int) total;
    }

    /**
     * The tokens and values of {@code src[off, off+n)} into the scratch; false (and nothing
     * usable) when more than n / {@value #MAX_NONZERO_FRACTION} bytes are nonzero.
     */
    private static boolean tokenize(byte[] src, int off, int n, Scratch s) {
        int maxValues = n / MAX_NONZERO_FRACTION;
        byte[] tokens = s.tokens = CodecWorkspace.grow(s.tokens, maxValues + n / RUN_ESCAPE + 1);
        byte[] values = s.values = CodecWorkspace.grow(s.values, maxValues + 1);
        int t = 0;
        int v = 0;
        int next = 0; // the position after the last value
        int i = 0;
        boolean skipBlocks = mostBlocksZero(src, off, n);
        for (; i + 8 <= n && v < maxValues - 8; i += 8) {
            if (skipBlocks && i - next >= ZERO_BLOCK && i + ZERO_BLOCK <= n && isZeroBlock(src, off + i)) {
                i += ZERO_BLOCK - 8;
                continue;
            }
            // The first nonzero byte of every word without a branch (stored always, counted only
            // if there is one): whether a word of a sparse plane holds one is a coin toss, and a
            // mispredicted branch per word cost more than the rest of the loop.
            long x = (long) LONG.get(src, off + i);
            int b = Long.numberOfTrailingZeros(x) >>> 3; // 8 for a zero word
            int some = (int) ((x | -x) >>> 63);
            int pos = i + b;
            int run = pos - next;
            if (run >= RUN_ESCAPE && some != 0) {
                while (run >= RUN_ESCAPE) {
                    tokens[t++] = (byte) RUN_ESCAPE;
                    run -= RUN_ESCAPE;
                }
            }
            tokens[t] = (byte) run;
            values[v] = (byte) (x >>> (b << 3));
            t += some;
            v += some;
            next = some != 0 ? pos + 1 : next;
            x &= ~(0xFFL << (b << 3));
            while (x != 0) { // a second nonzero byte in the word: one word in seven
                b = Long.numberOfTrailingZeros(x) >>> 3;
                pos = i + b;
                tokens[t++] = (byte) (pos - next); // under 8: no escape
                values[v++] = (byte) (x >>> (b << 3));
                next = pos + 1;
                x &= ~(0xFFL << (b << 3));
            }
        }
        for (; i < n; i++) {
            byte value = src[off + i];
            if (value == 0) {
                continue;
            }
            if (v == maxValues) {
                return false;
            }
            int run = i - next;
            while (run >= RUN_ESCAPE) {
                tokens[t++] = (byte) RUN_ESCAPE;
                run -= RUN_ESCAPE;
            }
            tokens[t++] = (byte) run;
            values[v++] = value;
            next = i + 1;
        }
        s.tokenCount = t;
        s.valueCount = v;
        return true;
    }

    /**
     * Whether most of {@value #ZERO_BLOCK_PROBES} blocks spread over {@code src[off, off+n)} are
     * all zero: then tokenizing tests blocks before words.
     */
    private static boolean mostBlocksZero(byte[] src, int off, int n) {
        int blocks = n / ZERO_BLOCK;
        if (blocks < ZERO_BLOCK_PROBES) {
            return false;
        }
        int zero = 0;
        for (int p = 0; p < ZERO_BLOCK_PROBES; p++) {
            long block = (long) blocks * p / ZERO_BLOCK_PROBES;
            zero += isZeroBlock(src, off + (int) block * ZERO_BLOCK) ? 1 : 0;
        }
        return zero * 2 > ZERO_BLOCK_PROBES;
    }

    /** Whether the {@value #ZERO_BLOCK} bytes at {@code src[at...]} are all zero. */
    private static boolean isZeroBlock(byte[] src, int at) {
        long any = 0;
        for (int k = 0; k < ZERO_BLOCK; k += 8) {
            any |= (long) LONG.get(src, at + k);
        }
        return any == 0;
    }

    private static void huffman(byte[] src, int off, int len, byte[] dst, int n, HuffmanCoder.State st, String what)
            throws CorruptObjectException {
        try {
            HuffmanCoder.decode(src, off, len, dst, 0, n, st);
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException("sparse plane: " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes the body {@code src[off, off+len)} of a plane of n bytes into {@code dst[dstOff,
     * dstOff+n)}: XORed into what is there with {@code xor}, else overwriting it. Checks every
     * count and bound; a body that is not exactly such an encoding throws.
     */
    static void decode(byte[] src, int off, int len, byte[] dst, int dstOff, int n, boolean xor, Scratch s,
                       HuffmanCoder.State st) throws CorruptObjectException {
        if (len < HEADER_BYTES) {
            throw new CorruptObjectException("sparse plane: body of " + len + " bytes is shorter than its header");
        }
        int t = ChunkFormat.getInt(src, off);
        int tb = ChunkFormat.getInt(src, off + 4);
        if (t < 0 || t > n) {
            throw new CorruptObjectException("sparse plane: " + Integer.toUnsignedString(t) + " run tokens for " + n + " bytes");
        }
        if (tb < 0 || tb > t || tb > len - HEADER_BYTES) {
            throw new CorruptObjectException("sparse plane: token stream of " + Integer.toUnsignedString(tb) + " bytes for " + t
                    + " tokens in a body of " + len);
        }
        byte[] tokens = s.tokens = CodecWorkspace.grow(s.tokens, t);
        int q = off + HEADER_BYTES;
        if (tb == t) {
            System.arraycopy(src, q, tokens, 0, t);
        } else {
            huffman(src, q, tb, tokens, t, st, "run tokens");
        }
        q += tb;
        int v = 0;
        for (int k = 0; k < t; k++) {
            if ((tokens[k] & 0xFF) != RUN_ESCAPE) {
                v++;
            }
        }
        if (t > 0 && (tokens[t - 1] & 0xFF) == RUN_ESCAPE) {
            throw new CorruptObjectException("sparse plane: the last run token is not followed by a value");
        }
        int vb = off + len - q;
        if (vb > v) {
            throw new CorruptObjectException("sparse plane: value stream of " + vb + " bytes for " + v + " values");
        }
        byte[] values = s.values = CodecWorkspace.grow(s.values, v);
        if (vb == v) {
            System.arraycopy(src, q, values, 0, v);
        } else {
            huffman(src, q, vb, values, v, st, "values");
        }
        if (!xor) {
            Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
        }
        long pos = 0;
        int vi = 0;
        for (int k = 0; k < t; k++) {
            int r = tokens[k] & 0xFF;
            pos += r;
            if (r == RUN_ESCAPE) {
                continue;
            }
            if (pos >= n) {
                throw new CorruptObjectException("sparse plane: runs reach past the plane's " + n + " bytes");
            }
            byte value = values[vi++];
            if (value == 0) {
                throw new CorruptObjectException("sparse plane: a value is zero");
            }
            dst[dstOff + (int) pos] ^= value;
            pos++;
        }
    }
}
