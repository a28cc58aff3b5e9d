package dev.coral.codec;

import com.github.luben.zstd.Zstd;
import dev.coral.error.CorruptObjectException;

/**
 * How a chunk's bytes are stored. The id is written beside every stored chunk so decoding never
 * guesses. Plain zstd for now; the codecs issue adds byte planes and deltas.
 */
public enum ChunkCodec {
    /** Stored as is: where compression does not shrink the bytes. */
    RAW(0),
    /** One zstd frame of the raw bytes. */
    ZSTD(1);

    private final int id;

    ChunkCodec(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    public static ChunkCodec byId(int id) throws CorruptObjectException {
        for (ChunkCodec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        throw new CorruptObjectException("unknown chunk codec id " + id);
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

    /** Decodes a stored payload into {@code dst[0, rawLength)}. */
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
            default -> throw new IllegalStateException(this.name());
        }
    }

    /** An encoded payload: {@code data[0, length)} under {@code codec}. */
    public record EncodedChunk(ChunkCodec codec, byte[] data, int length) {
    }
}
