package dev.coral.store;

import dev.coral.error.CorruptObjectException;

/**
 * How a pack entry's payload is laid out; the byte is the entry's codec field in packs and
 * indexes.
 *
 * <pre>
 * RAW   (0) --&gt; the object's bytes                       (small objects)
 * ZSTD  (1) --&gt; one zstd frame of the object's bytes      (small objects)
 * FRAME (2) --&gt; a self-describing chunk frame (dev.coral.codec.ChunkFormat: RAW, ZSTD or PLANES)
 * DELTA (3) --&gt; BaseId[32], Depth u8, chunk frame of XOR_PLANES or SUB_PLANES against the
 *               base chunk's raw bytes; Depth = the base's depth + 1 (a FRAME chunk has depth 0)
 * </pre>
 */
enum StoredForm {
    RAW(0), ZSTD(1), FRAME(2), DELTA(3);

    static final int DELTA_PREFIX_BYTES = ObjectId.BYTES + 1;

    final int code;

    StoredForm(int code) {
        this.code = code;
    }

    static StoredForm of(int code, String what) throws CorruptObjectException {
        for (StoredForm f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        throw new CorruptObjectException(what + ": unknown stored form " + code);
    }
}
