package dev.coral.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 of an object's content: for a chunk, of its raw little-endian bytes; for every
 * other object, of its serialized form. Immutable value type; comparable by unsigned bytes so
 * that pack indexes can be sorted and searched.
 */
public final class ObjectId implements Comparable<ObjectId> {
    public static final int BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ObjectId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    public static ObjectId fromBytes(byte[] b) {
        return fromBytes(b, 0);
    }

    public static ObjectId fromBytes(byte[] b, int offset) {
        if (b.length - offset < BYTES) {
            throw new IllegalArgumentException("an object id needs 32 bytes");
        }
        return new ObjectId(Arrays.copyOfRange(b, offset, offset + BYTES));
    }

    /** Parses 64 hex digits. */
    public static ObjectId fromHex(String hex) {
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("an object id has 64 hex digits: " + hex);
        }
        return new ObjectId(HEX.parseHex(hex));
    }

    public static boolean isHex(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0 || Character.isUpperCase(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Hash of the given bytes. */
    public static ObjectId hashOf(byte[] content, int offset, int length) {
        MessageDigest md = sha256();
        md.update(content, offset, length);
        return new ObjectId(md.digest());
    }

    public static ObjectId hashOf(byte[] content) {
        return hashOf(content, 0, content.length);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, BYTES);
    }

    /** First byte, unsigned: the fan-out bucket in a pack index. */
    public int firstByte() {
        return bytes[0] & 0xFF;
    }

    public String hex() {
        return HEX.formatHex(bytes);
    }

    /** The first {@code n} hex digits, as {@code log --oneline} prints them. */
    public String abbreviate(int n) {
        return hex().substring(0, n);
    }

    public boolean startsWith(String hexPrefix) {
        return hex().startsWith(hexPrefix);
    }

    @Override
    public int compareTo(ObjectId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectId && Arrays.equals(bytes, ((ObjectId) o).bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return hex();
    }
}
