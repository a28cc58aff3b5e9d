package dev.coral.io;

import dev.coral.error.CorruptObjectException;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link BinaryWriter} wrote. Every read is bounds-checked; running off the end or
 * an impossible length is a {@link CorruptObjectException} naming {@code source}.
 */
public final class BinaryReader {
    private final byte[] buf;
    private final String source;
    private int pos;

    public BinaryReader(byte[] buf, int offset, String source) {
        this.buf = buf;
        this.pos = offset;
        this.source = source;
    }

    public BinaryReader(byte[] buf, String source) {
        this(buf, 0, source);
    }

    public int u8() throws CorruptObjectException {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public long varLong() throws CorruptObjectException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) {
                    break;
                }
                return v;
            }
        }
        throw new CorruptObjectException(source + ": malformed varint at byte " + pos);
    }

    public int varInt() throws CorruptObjectException {
        long v = varLong();
        if (v > Integer.MAX_VALUE) {
            throw new CorruptObjectException(source + ": value " + v + " too large at byte " + pos);
        }
        return (int) v;
    }

    public long i64() throws CorruptObjectException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    public byte[] bytes(int n) throws CorruptObjectException {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    public byte[] blob() throws CorruptObjectException {
        return bytes(varInt());
    }

    public String string() throws CorruptObjectException {
        return new String(blob(), StandardCharsets.UTF_8);
    }

    public boolean bool() throws CorruptObjectException {
        int b = u8();
        if (b > 1) {
            throw new CorruptObjectException(source + ": bad boolean " + b + " at byte " + (pos - 1));
        }
        return b == 1;
    }

    public boolean atEnd() {
        return pos == buf.length;
    }

    /** Fails unless every byte was consumed: trailing garbage is corruption too. */
    public void expectEnd() throws CorruptObjectException {
        if (!atEnd()) {
            throw new CorruptObjectException(source + ": " + (buf.length - pos) + " unexpected trailing bytes");
        }
    }

    public String source() {
        return source;
    }

    private void need(int n) throws CorruptObjectException {
        if (n < 0 || pos + n > buf.length || pos + n < 0) {
            throw new CorruptObjectException(source + ": truncated (need " + n + " bytes at byte " + pos + " of " + buf.length + ")");
        }
    }
}
