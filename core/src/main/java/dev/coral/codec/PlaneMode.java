package dev.coral.codec;

import dev.coral.error.CorruptObjectException;

/** How one byte plane is stored inside a planar payload; the id is written in the plane table. */
public enum PlaneMode {
    /** The plane's {@code n} bytes as they are (near-random planes: low mantissa bytes). */
    RAW(0),
    /** One zstd frame that decodes to exactly {@code n} bytes. */
    ZSTD(1),
    /** Every byte 0; no body. */
    ZERO(2),
    /** Every byte the same value; the body is that one byte. */
    CONST(3),
    /**
     * Order-0 Huffman codes in four interleaved streams ({@link HuffmanCoder}): dense
     * low-entropy planes (exponents), coded and decoded several times faster than zstd.
     */
    HUFFMAN(4),
    /**
     * Delta planes only: one Huffman code per group of elements whose base elements have a like
     * magnitude ({@link ContextHuffman}); the groups come from the base, which the decoder has.
     */
    CONTEXT_HUFFMAN(5),
    /**
     * Mostly-zero planes (the sign and exponent bytes of XOR deltas): each nonzero byte and the
     * run of zeros before it ({@link SparsePlane}), below the one bit per byte of any Huffman code.
     */
    SPARSE(6),
    /**
     * Every byte below 128, seven bits each ({@link Packed7}): plane 1 of a keyframe in the
     * mantissa-bit layout ({@link ChunkFormat#FLAG_MANTISSA_BIT}).
     */
    PACKED7(7);

    private final int id;

    PlaneMode(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    static PlaneMode byId(int id) throws CorruptObjectException {
        return switch (id) {
            case 0 -> RAW;
            case 1 -> ZSTD;
            case 2 -> ZERO;
            case 3 -> CONST;
            case 4 -> HUFFMAN;
            case 5 -> CONTEXT_HUFFMAN;
            case 6 -> SPARSE;
            case 7 -> PACKED7;
            default -> throw new CorruptObjectException("unknown plane mode " + id);
        };
    }
}
