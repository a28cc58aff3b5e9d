package dev.coral.store;

import dev.coral.error.CorruptObjectException;

/** What a stored object is. Recorded beside each object in packs and pack indexes. */
public enum ObjectKind {
    CHUNK(1), TENSOR(2), FILE(3), TREE(4), COMMIT(5), TAG(6);

    private final int code;

    ObjectKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ObjectKind byCode(int code) throws CorruptObjectException {
        for (ObjectKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new CorruptObjectException("unknown object kind " + code);
    }
}
