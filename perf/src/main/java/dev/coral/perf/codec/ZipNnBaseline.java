package dev.coral.perf.codec;

import dev.coral.codec.HuffmanCoder;
import dev.coral.error.CorruptObjectException;
import java.util.Arrays;

/**
 * ZipNN's method, rebuilt on Coral's Huffman coder, as a same-data baseline for the standalone
 * codec (issue 3: "ratio at least ZipNN's on the same BF16 and FP32 data"). ZipNN (Hershcovitch
 * et al., "ZipNN: Lossless Compression for AI Models", 2024) cuts a model into independent
 * 256 KiB chunks; in each it groups the bytes of the elements, with the exponent moved into a
 * byte of its own (BF16: exponent, then sign + 7 mantissa bits; FP32: exponent, then sign + top 7
 * mantissa bits, then the two lower mantissa bytes); each group is Huffman-coded (zstd's Huff0)
 * or stored raw where that does not shrink it. Other widths are plain byte groups.
 *
 * <p>Here each group is coded with {@link HuffmanCoder} (order-0, codes of at most 11 bits, four
 * interleaved streams, as Huff0), stored raw when that is not smaller, plus 4 bytes per group
 * for its length. Only the size is a baseline: the speed is this Java coder's, not ZipNN's
 * (its published figures: 1.12 GB/s encode, 1.66 GB/s decode per core). {@link #size} decodes
 * every group it codes and checks it, so a wrong figure cannot come from a broken round trip.
 */
public final class ZipNnBaseline {
    /** ZipNN's chunk: 256 KiB of the model's bytes, coded on their own. */
    public static final int CHUNK = 256 << 10;
    /** Bytes counted per group for its stored length. */
    static final int GROUP_HEADER = 4;

    private ZipNnBaseline() {
    }

    /**
     * The stored size of {@code raw[off, off + len)} (little-endian elements of {@code width}
     * bytes: 2 is BF16, 4 is FP32, others plain byte groups) by ZipNN's method.
     */
    public static long size(byte[] raw, int off, int len, int width) {
        if (len % width != 0) {
            throw new IllegalArgumentException(len + " bytes are not whole elements of " + width);
        }
        int per = CHUNK / width * width;
        byte[][] groups = new byte[width][per / width];
        byte[] coded = new byte[per];
        byte[] back = new byte[per / width];
        HuffmanCoder.State st = new HuffmanCoder.State();
        long total = 0;
        for (int at = 0; at < len; at += per) {
            int n = Math.min(per, len - at) / width;
            group(raw, off + at, n, width, groups);
            for (byte[] g : groups) {
                int c = HuffmanCoder.encode(g, 0, n, coded, 0, st);
                if (c >= 0) {
                    check(coded, c, g, n, back, st);
                }
                total += GROUP_HEADER + (c < 0 ? n : c);
            }
        }
        return total;
    }

    /** The n elements at {@code raw[off...]} as byte groups, the exponent in a group of its own. */
    static void group(byte[] raw, int off, int n, int width, byte[][] groups) {
        switch (width) {
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    int x = (raw[off + 2 * i] & 0xFF) | (raw[off + 2 * i + 1] & 0xFF) << 8;
                    groups[0][i] = (byte) (x >>> 7);
                    groups[1][i] = (byte) (x >>> 15 << 7 | x & 0x7F);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int p = off + 4 * i;
                    int x = (raw[p] & 0xFF) | (raw[p + 1] & 0xFF) << 8 | (raw[p + 2] & 0xFF) << 16 | (raw[p + 3] & 0xFF) << 24;
                    groups[0][i] = (byte) (x >>> 23);
                    groups[1][i] = (byte) (x >>> 31 << 7 | x >>> 16 & 0x7F);
                    groups[2][i] = (byte) (x >>> 8);
                    groups[3][i] = (byte) x;
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < width; k++) {
                        groups[k][i] = raw[off + width * i + k];
                    }
                }
            }
        }
    }

    /** The inverse of {@link #group}: n elements into {@code raw[off...]}. */
    static void ungroup(byte[][] groups, int n, int width, byte[] raw, int off) {
        switch (width) {
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    int e = groups[0][i] & 0xFF;
                    int m = groups[1][i] & 0xFF;
                    int x = (m >>> 7) << 15 | e << 7 | m & 0x7F;
                    raw[off + 2 * i] = (byte) x;
                    raw[off + 2 * i + 1] = (byte) (x >>> 8);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int e = groups[0][i] & 0xFF;
                    int m = groups[1][i] & 0xFF;
                    int x = (m >>> 7) << 31 | e << 23 | (m & 0x7F) << 16 | (groups[2][i] & 0xFF) << 8 | groups[3][i] & 0xFF;
                    int p = off + 4 * i;
                    raw[p] = (byte) x;
                    raw[p + 1] = (byte) (x >>> 8);
                    raw[p + 2] = (byte) (x >>> 16);
                    raw[p + 3] = (byte) (x >>> 24);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < width; k++) {
                        raw[off + width * i + k] = groups[k][i];
                    }
                }
            }
        }
    }

    private static void check(byte[] coded, int c, byte[] group, int n, byte[] back, HuffmanCoder.State st) {
        try {
            HuffmanCoder.decode(coded, 0, c, back, 0, n, st);
        } catch (CorruptObjectException e) {
            throw new IllegalStateException("ZipNN baseline: a group does not decode: " + e.getMessage(), e);
        }
        if (!Arrays.equals(back, 0, n, group, 0, n)) {
            throw new IllegalStateException("ZipNN baseline: a group decodes to other bytes");
        }
    }

    /** Checks that {@link #ungroup} inverts {@link #group} on {@code raw} (all of it, element-wise). */
    public static void checkGrouping(byte[] raw, int width) {
        int n = raw.length / width;
        byte[][] groups = new byte[width][n];
        group(raw, 0, n, width, groups);
        byte[] back = new byte[n * width];
        ungroup(groups, n, width, back, 0);
        if (!Arrays.equals(back, 0, back.length, raw, 0, back.length)) {
            throw new IllegalStateException("ZipNN baseline: regrouping does not give the elements back (width " + width + ")");
        }
    }
}
