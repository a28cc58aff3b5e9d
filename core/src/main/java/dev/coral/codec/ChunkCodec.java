package dev.coral.codec;

import com.github.luben.zstd.Zstd;
import dev.coral.error.CorruptObjectException;

/**
 * How a chunk's bytes are stored. The id is written beside every stored chunk so decoding never
 * guesses. Ids are stable: they are on disk.
 *
 * <p>Two payload forms exist. The legacy store form ({@link #encodeSmallest} and
 * {@link #decode(byte[], int, byte[], int, String)}) is headerless and knows RAW and ZSTD only.
 * The framed form written by {@link ChunkEncoder} and read by {@link ChunkDecoder} starts with a
 * self-describing header (codec id, element width, flags, plane table, CRC32C; see
 * {@link ChunkFormat}) and knows every codec here.
 */
public enum ChunkCodec {
    /** Stored as is: where compression does not shrink the bytes. */
    RAW(0),
    /** One zstd frame of the raw bytes. */
    ZSTD(1),
    /** Byte planes of the elements (most significant plane first), each raw, zstd, zero or constant. */
    PLANES(2),
    /** {@link #PLANES} of the chunk XOR its base chunk (same length). */
    XOR_PLANES(3),
    /** {@link #PLANES} of the element-wise integer difference chunk - base (mod 2^(8w), little-endian words). */
    SUB_PLANES(4),
    /**
     * {@link #PLANES} of the element-wise integer difference chunk - base, zigzagged
     * ({@code (d << 1) ^ (d >> 8w-1)}: the sign to the lowest bit, small steps either way small
     * numbers). Measured on the training scenario's Adam history (perf {@code PredictiveDeltaProbe},
     * each checkpoint against the previous one, contexts on): BF16 5.31x by XOR, 6.23x by zigzag
     * difference; fp32 1.68x and 1.74x. A float's step rarely flips its bits past the ones it
     * changes by, as the XOR of two neighbouring mantissas does at every carry.
     */
    ZIGZAG_PLANES(5);

    private final int id;

    ChunkCodec(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** True for the delta codecs, which decode only given the base chunk they were encoded against. */
    public boolean needsBase() {
        return this == XOR_PLANES || this == SUB_PLANES || this == ZIGZAG_PLANES;
    }

    /** True for the codecs whose payload is a plane table and planes. */
    public boolean isPlanar() {
        return this == PLANES || this == XOR_PLANES || this == SUB_PLANES || this == ZIGZAG_PLANES;
    }

    public static ChunkCodec byId(int id) throws CorruptObjectException {
        return switch (id) {
            case 0 -> RAW;
            case 1 -> ZSTD;
            case 2 -> PLANES;
            case 3 -> XOR_PLANES;
            case 4 -> SUB_PLANES;
            case 5 -> ZIGZAG_PLANES;
            default -> throw new CorruptObjectException("unknown chunk codec id " + id + " (damaged, or written by a newer Coral)");
        };
    }

    /**
     * Encodes {@code raw[off, off+len)} with the smallest of RAW and ZSTD at {@code level}.
     * The result holds its own array; the input is not retained.
     */
    public static EncodedChunk encodeSmallest(byte[] raw, int off, int len, int level) {
        if (len >= 64) {
            byte[] dst = new byte[(int) Zstd.compressBound(len)];
            long n = Zstd.compressByteArray(dst, 0, dst.length, raw, off, len, level);
            if (Zstd.isError(n)) {
                throw new IllegalStateException("zstd failed: " + Zstd.getErrorName(n));
            }
            if (n < len) {
                return new EncodedChunk(ZSTD, dst, (int) n);
            }
        }
        byte[] copy = new byte[len];
        System.arraycopy(raw, off, copy, 0, len);
        return new EncodedChunk(RAW, copy, len);
    }

    /**
     * Decodes a legacy (headerless) stored payload into {@code dst[0, rawLength)}. The planar
     * codecs exist only in the framed form: {@link #PLANES} is handed to {@link ChunkDecoder}
     * (its payload is self-describing); the delta codecs need their base, so they go through
     * {@link ChunkDecoder#decode(byte[], int, int, byte[], int, byte[], int, int, CodecWorkspace)}.
     */
    public void decode(byte[] stored, int storedLength, byte[] dst, int rawLength, String what)
            throws CorruptObjectException {
        switch (this) {
            case RAW -> {
                if (storedLength != rawLength) {
                    throw new CorruptObjectException(what + ": raw chunk of " + storedLength + " bytes, expected " + rawLength);
                }
                System.arraycopy(stored, 0, dst, 0, rawLength);
            }
            case ZSTD -> {
                long n = Zstd.decompressByteArray(dst, 0, rawLength, stored, 0, storedLength);
                if (Zstd.isError(n) || n != rawLength) {
                    throw new CorruptObjectException(what + ": zstd payload does not decode to " + rawLength + " bytes"
                            + (Zstd.isError(n) ? " (" + Zstd.getErrorName(n) + ")" : " (got " + n + ")"));
                }
            }
            case PLANES -> {
                try (CodecWorkspace ws = new CodecWorkspace()) {
                    try {
                        ChunkDecoder.decode(stored, 0, storedLength, null, 0, dst, 0, rawLength, ws);
                    } catch (CorruptObjectException e) {
                        throw new CorruptObjectException(what + ": " + e.getMessage(), e);
                    }
                }
            }
            default -> throw new CorruptObjectException(what + ": codec " + this + " needs its base chunk to decode");
        }
    }

    /** An encoded payload: {@code data[0, length)} under {@code codec}. */
    public record EncodedChunk(ChunkCodec codec, byte[] data, int length) {
    }
}
