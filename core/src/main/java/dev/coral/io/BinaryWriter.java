package dev.coral.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds the bodies of Coral's small binary structures: unsigned varints, strings, raw bytes. */
public final class BinaryWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public BinaryWriter u8(int v) {
        out.write(v);
        return this;
    }

    /** Unsigned LEB128; {@code v} must be non-negative. */
    public BinaryWriter varLong(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative varint " + v);
        }
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return this;
    }

    public BinaryWriter varInt(int v) {
        return varLong(v);
    }

    public BinaryWriter i64(long v) {
        for (int i = 7; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    public BinaryWriter bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** Length-prefixed bytes. */
    public BinaryWriter blob(byte[] b) {
        varInt(b.length);
        return bytes(b);
    }

    public BinaryWriter string(String s) {
        return blob(s.getBytes(StandardCharsets.UTF_8));
    }

    public BinaryWriter bool(boolean b) {
        return u8(b ? 1 : 0);
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
