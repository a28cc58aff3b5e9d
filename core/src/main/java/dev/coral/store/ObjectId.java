package dev.coral.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

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

    private static final byte[] NIBBLE = new byte[128];

    static {
        java.util.Arrays.fill(NIBBLE, (byte) -1);
        for (int i = 0; i < 16; i++) {
            NIBBLE["0123456789abcdef".charAt(i)] = (byte) i;
        }
    }

    /**
     * The id spelled by the 64 lower-case hex digits of {@code s} from {@code from}, or null if
     * they are not that. One table look-up per digit: for scanning a folder of pack names.
     */
    static ObjectId parseHexOrNull(String s, int from) {
        if (s.length() - from < 2 * BYTES) {
            return null;
        }
        byte[] b = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            char hi = s.charAt(from + 2 * i);
            char lo = s.charAt(from + 2 * i + 1);
            int h = hi < 128 ? NIBBLE[hi] : -1;
            int l = lo < 128 ? NIBBLE[lo] : -1;
            if ((h | l) < 0) {
                return null;
            }
            b[i] = (byte) (h << 4 | l);
        }
        return new ObjectId(b);
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
        update(md, content, offset, length);
        return new ObjectId(md.digest());
    }

    /** Bytes fed to a digest per call by {@link #update}. */
    static final int DIGEST_SLICE = 16 << 10;

    /**
     * Feeds {@code b[off, off+len)} to {@code md} in slices of {@value #DIGEST_SLICE} bytes.
     * JDK 17 hashes with the CPU's SHA instructions one 64-byte block per call until the digest's
     * {@code update} is compiled by C2, which then hashes many blocks per call; a few multi-MiB
     * updates per chunk never get it compiled. Measured, 84 MB hashed in 4 MiB updates in a fresh
     * JVM: 64-73 ms per 84 MB after the first, 57-63 in slices of 16 KiB. In 16 commits of 84 MB
     * through one handle (async-profiler): SHA-256 2,050 → 1,696 samples of 1 ms, all of them
     * in the multi-block code now (77% had been one block a call).
     */
    public static void update(MessageDigest md, byte[] b, int off, int len) {
        int end = off + len;
        for (int at = off; at < end; at += DIGEST_SLICE) {
            md.update(b, at, Math.min(DIGEST_SLICE, end - at));
        }
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

    /** Whether {@code b[offset, offset + BYTES)} holds this id. */
    public boolean isAt(byte[] b, int offset) {
        return Arrays.equals(bytes, 0, BYTES, b, offset, offset + BYTES);
    }

    /**
     * The {@code i}-th (0..3) big-endian 64-bit word of the id: comparing the four words as
     * unsigned longs orders ids as {@link #compareTo} does, without copying the bytes.
     */
    long word(int i) {
        return (long) WORDS.get(bytes, i * 8);
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
