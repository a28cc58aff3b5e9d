package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;

/**
 * An annotated tag: a named, signed-off pointer to a commit with a message.
 *
 * <pre>Body --&gt; TargetId[32], Name string, Tagger string, TimeMillis i64, Message string</pre>
 */
public record TagObject(ObjectId target, String name, String tagger, long timeMillis, String message) {
    static final int VERSION = 1;

    byte[] encode() {
        return ObjectEnvelope.begin(ObjectKind.TAG, VERSION).bytes(target.toBytes()).string(name)
                .string(tagger).i64(timeMillis).string(message).toByteArray();
    }

    static TagObject decode(byte[] content, ObjectId id) throws CorruptObjectException, UnsupportedVersionException {
        BinaryReader r = ObjectEnvelope.open(content, ObjectKind.TAG, id, VERSION);
        TagObject t = new TagObject(ObjectId.fromBytes(r.bytes(ObjectId.BYTES)), r.string(), r.string(), r.i64(), r.string());
        r.expectEnd();
        return t;
    }
}
