package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import java.nio.charset.StandardCharsets;

/**
 * The first bytes of every non-chunk object: {@code "CORAL"}, kind code, format version. The
 * object's id is the SHA-256 of the whole content, so the prefix also keeps a tensor and a
 * commit with equal bodies apart.
 *
 * <pre>Object --&gt; "CORAL", Kind u8, Version u8, Body</pre>
 */
final class ObjectEnvelope {
    private static final byte[] MAGIC = "CORAL".getBytes(StandardCharsets.US_ASCII);

    private ObjectEnvelope() {
    }

    static BinaryWriter begin(ObjectKind kind, int version) {
        return new BinaryWriter().bytes(MAGIC).u8(kind.code()).u8(version);
    }

    /** The version byte of an object's content (0 if too short; {@link #open} checks it). */
    static int version(byte[] content) {
        return content.length > MAGIC.length + 1 ? content[MAGIC.length + 1] & 0xFF : 0;
    }

    /** Checks the prefix and returns a reader over the body. */
    static BinaryReader open(byte[] content, ObjectKind kind, ObjectId id, int maxVersion) throws CorruptObjectException, UnsupportedVersionException {
        String source = kind.name().toLowerCase() + " " + id.hex();
        BinaryReader r = new BinaryReader(content, source);
        for (byte m : MAGIC) {
            if (r.u8() != (m & 0xFF)) {
                throw new CorruptObjectException(source + ": not a Coral object");
            }
        }
        int k = r.u8();
        if (k != kind.code()) {
            throw new CorruptObjectException(source + ": holds a " + ObjectKind.byCode(k) + ", expected a " + kind);
        }
        int version = r.u8();
        if (version < 1 || version > maxVersion) {
            throw new UnsupportedVersionException(source + ": object version " + version + " is newer than this Coral reads (" + maxVersion + ")");
        }
        return r;
    }
}
