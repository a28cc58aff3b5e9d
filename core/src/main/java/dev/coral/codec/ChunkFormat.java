package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.Crc32c;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Byte layout of a framed chunk payload (all integers little-endian):
 *
 * <pre>
 * offset size field
 *  0      1   codec id: 0 RAW, 1 ZSTD, 2 PLANES, 3 XOR_PLANES, 4 SUB_PLANES, 5 ZIGZAG_PLANES ({@link ChunkCodec})
 *  1      1   element width w in bytes: 1, 2, 4, 8 or 16
 *  2      1   flags: 0, or {@link #FLAG_EXPONENT_BYTES} in a PLANES payload of width 2, 4 or 8,
 *             or {@link #FLAG_MANTISSA_BIT} in a PLANES payload of width 2 or 4 (every other value
 *             is reserved and rejected; 1 was a reverted experiment's)
 *  3      1   plane count p: 0 for RAW and ZSTD, w for the planar codecs
 *  4      4   raw length in bytes (a multiple of w)
 *  8      4   CRC32C of payload[0,8) followed by payload[12,end)
 * 12    5*p   plane table, plane 0 first: mode u8 ({@link PlaneMode}: 0 RAW, 1 ZSTD, 2 ZERO,
 *             3 CONST, 4 HUFFMAN, 5 CONTEXT_HUFFMAN, 6 SPARSE, 7 PACKED7), body length u32 (RAW: n = raw length / w;
 *             ZSTD: frame length; ZERO: 0; CONST: 1; HUFFMAN: the {@link HuffmanCoder} encoding's
 *             length; CONTEXT_HUFFMAN, only in delta payloads of width 2 or more: the
 *             {@link ContextHuffman} encoding's length; the encoder writes it in XOR_PLANES and
 *             ZIGZAG_PLANES payloads, the decoder reads it in SUB_PLANES ones too; SPARSE: the
 *             {@link SparsePlane} encoding's length, at least its 8-byte header; PACKED7: ceil(7n / 8),
 *             see {@link Packed7})
 * 12+5p       bodies: RAW/ZSTD codec: the raw bytes / one zstd frame of them; planar codecs:
 *             the plane bodies in table order, back to back, ending exactly at the payload's end
 * </pre>
 *
 * Plane k holds byte (w-1-k) of every element: the most significant bytes (sign, exponent) first.
 * With {@link #FLAG_EXPONENT_BYTES} the top bits of planes 0 and 1 trade places
 * ({@code PlaneTransform.tradeTopBits}): for a BF16 or fp32 element plane 0 then holds the whole
 * 8-bit exponent (its last bit on top) and plane 1 the sign and seven mantissa bits, as ZipNN
 * groups them. The exponent codes smaller whole than the sign with seven exponent bits does (the
 * eighth, stored raw with the mantissa, is not random given the other seven). Only keyframes use
 * it: an XOR delta's planes stay the elements' own, so a chain read turns a keyframe's two planes
 * back once, before its first delta.
 * With {@link #FLAG_MANTISSA_BIT} (BF16 and fp32 keyframes whose elements are all under 2 in
 * magnitude) the top two bits of planes 0 and 1 trade places ({@code PlaneTransform.tradeBits}
 * with {@code TOP_TWO_BITS}): plane 0 then holds {@code [e0 m6 e6 e5 e4 e3 e2 e1]}, the
 * exponent's low seven bits and the top mantissa bit, and plane 1 {@code [s e7 m5 .. m0]}, whose
 * bit 6 (the exponent's top bit) is 0 in every element under 2, so it is typically PACKED7. Plane
 * 0 codes smaller than the whole exponent: the exponent's information lies in its low seven bits,
 * and the top mantissa bit is not random given the exponent (within one binade a bell-shaped
 * distribution thins out). A decoder turns both back to the elements' own planes.
 * For XOR_PLANES the elements are chunk XOR base; for SUB_PLANES they are (chunk - base) mod
 * 2^(8w) as little-endian unsigned integers of w bytes; for ZIGZAG_PLANES that difference d as a
 * signed integer of 8w bits, zigzagged: {@code (d << 1) ^ (d >> 8w-1)} (the sign in bit 0); decoding
 * XORs / adds the base back (after undoing the zigzag).
 */
public final class ChunkFormat {
    /** Bytes of the fixed header. */
    public static final int HEADER_BYTES = 12;
    /** Bytes of one plane-table entry. */
    public static final int PLANE_ENTRY_BYTES = 5;
    /** Flag: planes 0 and 1 in the exponent layout (PLANES, width 2, 4 or 8; see the class comment). */
    public static final int FLAG_EXPONENT_BYTES = 2;
    /** Flag: planes 0 and 1 in the mantissa-bit layout (PLANES, width 2 or 4; see the class comment). */
    public static final int FLAG_MANTISSA_BIT = 4;

    private ChunkFormat() {
    }

    /** True for the element widths a payload may declare. */
    public static boolean isValidWidth(int w) {
        return w == 1 || w == 2 || w == 4 || w == 8 || w == 16;
    }

    static void putInt(byte[] a, int at, int v) {
        a[at] = (byte) v;
        a[at + 1] = (byte) (v >>> 8);
        a[at + 2] = (byte) (v >>> 16);
        a[at + 3] = (byte) (v >>> 24);
    }

    static int getInt(byte[] a, int at) {
        return (a[at] & 0xFF) | (a[at + 1] & 0xFF) << 8 | (a[at + 2] & 0xFF) << 16 | (a[at + 3] & 0xFF) << 24;
    }

    static int crc(byte[] p, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(p, off, 8);
        c.update(p, off + HEADER_BYTES, len - HEADER_BYTES);
        return (int) c.getValue();
    }

    /** Writes the fixed header at {@code p[0, 12)} (CRC left for {@link #seal}). */
    static void putHeader(byte[] p, ChunkCodec codec, int w, int flags, int planes, int rawLength) {
        p[0] = (byte) codec.id();
        p[1] = (byte) w;
        p[2] = (byte) flags;
        p[3] = (byte) planes;
        putInt(p, 4, rawLength);
    }

    /**
     * The CRC32C of the whole sealed payload {@code p[0, len)}, its CRC field included, from its
     * first 12 bytes only: the frame CRC stored there covers every other byte, and CRC32C is
     * linear, so crc(head, field, body) = field ^ (crc(head, field) ^ crc(head)) shifted over the
     * body's length ({@link Crc32c#combine} with 0). What a pack entry's CRC needs, without a
     * second pass over the body. Only for a payload sealed by {@link #seal} (or read back checked):
     * were its field wrong, the result would be as wrong, and the entry would fail its check when read.
     */
    public static int sealedPayloadCrc(byte[] p, int len) {
        if (len < HEADER_BYTES) {
            throw new IllegalArgumentException("a sealed payload has at least " + HEADER_BYTES + " bytes: " + len);
        }
        int field = getInt(p, 8);
        int shift = Crc32c.of(p, 0, HEADER_BYTES) ^ Crc32c.of(p, 0, 8);
        return field ^ Crc32c.combine(shift, 0, len - HEADER_BYTES);
    }

    /** Computes and stores the CRC of the finished payload {@code p[0, len)}. */
    static void seal(byte[] p, int len) {
        putInt(p, 8, crc(p, 0, len));
    }

    /** True when the payload at {@code p[off...]}, its header checked, is flagged {@link #FLAG_EXPONENT_BYTES}. */
    static boolean exponentBytes(byte[] p, int off) {
        return (p[off + 2] & FLAG_EXPONENT_BYTES) != 0;
    }

    /** True when the payload at {@code p[off...]}, its header checked, is flagged {@link #FLAG_MANTISSA_BIT}. */
    static boolean mantissaBit(byte[] p, int off) {
        return (p[off + 2] & FLAG_MANTISSA_BIT) != 0;
    }

    /** True for the widths whose PLANES payloads may be flagged {@link #FLAG_MANTISSA_BIT}. */
    static boolean mantissaBitWidth(int w) {
        return w == 2 || w == 4;
    }

    /** True for the widths whose PLANES payloads may be flagged {@link #FLAG_EXPONENT_BYTES}. */
    static boolean exponentBytesWidth(int w) {
        return w == 2 || w == 4 || w == 8;
    }

    /** What a payload's header says; read without decoding the body (for stats and checks). */
    public record PayloadInfo(ChunkCodec codec, int elementBytes, int rawLength, List<PlaneMode> planeModes,
                              List<Integer> planeLengths) {
    }

    /**
     * Parses and checks the header and plane table of {@code p[off, off+len)}: known codec id,
     * valid width, known flags, plane count, CRC, consistent plane lengths.
     */
    public static PayloadInfo describe(byte[] p, int off, int len) throws CorruptObjectException {
        int[] modes = new int[16];
        int[] lengths = new int[16];
        parse(p, off, len, modes, lengths);
        ChunkCodec codec = ChunkCodec.byId(p[off] & 0xFF);
        int planes = p[off + 3] & 0xFF;
        PlaneMode[] m = new PlaneMode[planes];
        Integer[] l = new Integer[planes];
        for (int k = 0; k < planes; k++) {
            m[k] = PlaneMode.byId(modes[k]);
            l[k] = lengths[k];
        }
        return new PayloadInfo(codec, p[off + 1] & 0xFF, getInt(p, off + 4), List.of(m), List.of(l));
    }

    /**
     * What a payload's plane table says: each plane's mode, and whether planes 0 and 1 are in the
     * exponent layout ({@link #FLAG_EXPONENT_BYTES}) or the mantissa-bit layout ({@link #FLAG_MANTISSA_BIT}).
     */
    public record PlaneTable(List<PlaneMode> modes, boolean exponentBytes, boolean mantissaBit) {
        /** The table of a payload without planes (RAW, ZSTD). */
        public static final PlaneTable NONE = new PlaneTable(List.of(), false, false);
    }

    /**
     * The plane modes a framed payload's plane table declares, read from its first
     * {@code 12 + 5 * width} bytes only (no checksum: for statistics; decoding checks
     * everything). Empty for the RAW and ZSTD codecs.
     */
    public static List<PlaneMode> planeModes(byte[] p, int off, int len) throws CorruptObjectException {
        return planeTable(p, off, len).modes();
    }

    /** As {@link #planeModes}, with the payload's layout flags. */
    public static PlaneTable planeTable(byte[] p, int off, int len) throws CorruptObjectException {
        if (len < HEADER_BYTES) {
            throw new CorruptObjectException("chunk payload of " + len + " bytes is shorter than its " + HEADER_BYTES + "-byte header");
        }
        ChunkCodec codec = ChunkCodec.byId(p[off] & 0xFF);
        if (!codec.isPlanar()) {
            return PlaneTable.NONE;
        }
        int planes = p[off + 3] & 0xFF;
        if (!isValidWidth(planes) || len < HEADER_BYTES + PLANE_ENTRY_BYTES * planes) {
            throw new CorruptObjectException("chunk payload declares " + planes + " planes in " + len + " bytes");
        }
        PlaneMode[] m = new PlaneMode[planes];
        for (int k = 0; k < planes; k++) {
            m[k] = PlaneMode.byId(p[off + HEADER_BYTES + PLANE_ENTRY_BYTES * k] & 0xFF);
        }
        return new PlaneTable(List.of(m), exponentBytes(p, off), mantissaBit(p, off));
    }

    /** Bytes {@link #planeModes} needs at most: the header and a plane table of 16 planes. */
    public static final int MAX_TABLE_BYTES = HEADER_BYTES + PLANE_ENTRY_BYTES * 16;

    /**
     * Checks everything in the header and plane table of {@code p[off, off+len)} and fills
     * {@code modes[k]} / {@code lengths[k]} for each plane; the codec, width and raw length are
     * then read from the header bytes.
     */
    static void parse(byte[] p, int off, int len, int[] modes, int[] lengths) throws CorruptObjectException {
        parse(p, off, len, modes, lengths, false);
    }

    /**
     * As {@link #parse(byte[], int, int, int[], int[])}; with {@code crcChecked} the payload's own
     * CRC is not computed again: a pack's entry checksum, which covers the same bytes, was
     * checked as they were read.
     */
    static void parse(byte[] p, int off, int len, int[] modes, int[] lengths, boolean crcChecked) throws CorruptObjectException {
        if (len < HEADER_BYTES) {
            throw new CorruptObjectException("chunk payload of " + len + " bytes is shorter than its " + HEADER_BYTES + "-byte header");
        }
        ChunkCodec codec = ChunkCodec.byId(p[off] & 0xFF);
        int w = p[off + 1] & 0xFF;
        if (!isValidWidth(w)) {
            throw new CorruptObjectException("chunk payload declares element width " + w);
        }
        int flags = p[off + 2] & 0xFF;
        if (flags != 0 && flags != FLAG_EXPONENT_BYTES && flags != FLAG_MANTISSA_BIT) {
            throw new CorruptObjectException("chunk payload has unknown flags 0x" + Integer.toHexString(flags));
        }
        if (flags == FLAG_EXPONENT_BYTES && (codec != ChunkCodec.PLANES || !exponentBytesWidth(w))) {
            throw new CorruptObjectException("chunk payload of codec " + codec + " width " + w
                    + " is flagged exponent-bytes: only PLANES payloads of width 2, 4 or 8 are");
        }
        if (flags == FLAG_MANTISSA_BIT && (codec != ChunkCodec.PLANES || !mantissaBitWidth(w))) {
            throw new CorruptObjectException("chunk payload of codec " + codec + " width " + w
                    + " is flagged mantissa-bit: only PLANES payloads of width 2 or 4 are");
        }
        int planes = p[off + 3] & 0xFF;
        int expectPlanes = codec.isPlanar() ? w : 0;
        if (planes != expectPlanes) {
            throw new CorruptObjectException("chunk payload of codec " + codec + " width " + w + " has " + planes
                    + " planes, expected " + expectPlanes);
        }
        int rawLength = getInt(p, off + 4);
        if (rawLength < 0 || rawLength % w != 0) {
            throw new CorruptObjectException("chunk payload raw length " + Integer.toUnsignedString(rawLength)
                    + " is not a whole number of " + w + "-byte elements");
        }
        int tableEnd = HEADER_BYTES + PLANE_ENTRY_BYTES * planes;
        if (len < tableEnd) {
            throw new CorruptObjectException("chunk payload of " + len + " bytes is shorter than its " + tableEnd
                    + "-byte header and plane table");
        }
        int stored = getInt(p, off + 8);
        int actual = crcChecked ? stored : crc(p, off, len);
        if (stored != actual) {
            throw new CorruptObjectException("chunk payload checksum mismatch (stored " + Integer.toHexString(stored)
                    + ", computed " + Integer.toHexString(actual) + ")");
        }
        int n = rawLength / w;
        long sum = tableEnd;
        for (int k = 0; k < planes; k++) {
            int e = off + HEADER_BYTES + PLANE_ENTRY_BYTES * k;
            int m = p[e] & 0xFF;
            int bl = getInt(p, e + 1);
            boolean ok = switch (m) {
                case 0 -> bl == n;
                case 1 -> bl > 0 && n > 0;
                case 2 -> bl == 0;
                case 3 -> bl == 1;
                case 4 -> bl > 0 && n > 0;
                case 5 -> {
                    if (!codec.needsBase() || w < 2) {
                        throw new CorruptObjectException("plane " + k + " is CONTEXT_HUFFMAN in a " + codec + " payload of width " + w
                                + ": only deltas of width 2 or more have contexts");
                    }
                    yield bl > 0 && n > 0;
                }
                case 6 -> bl >= SparsePlane.HEADER_BYTES && n > 0;
                case 7 -> bl == Packed7.bytes(n) && n > 0;
                default -> throw new CorruptObjectException("plane " + k + " has unknown mode " + m);
            };
            if (!ok) {
                throw new CorruptObjectException("plane " + k + " (" + PlaneMode.byId(m) + ") has body length "
                        + Integer.toUnsignedString(bl) + " for " + n + " elements");
            }
            modes[k] = m;
            lengths[k] = bl;
            sum += bl & 0xFFFFFFFFL;
        }
        if (codec.isPlanar() && sum != len) {
            throw new CorruptObjectException("chunk payload is " + len + " bytes but its plane table accounts for " + sum);
        }
    }
}
