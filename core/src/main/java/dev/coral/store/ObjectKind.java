package dev.coral.store;

import dev.coral.error.CorruptObjectException;

/** What a stored object is. Recorded beside each object in packs and pack indexes. */
public enum ObjectKind {
    CHUNK(1), TENSOR(2), FILE(3), TREE(4), COMMIT(5), TAG(6);

    private static final ObjectKind[] BY_CODE = new ObjectKind[7];

    static {
        for (ObjectKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    ObjectKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Whether {@code code} names a kind. */
    static boolean isCode(int code) {
        return code >= 0 && code < BY_CODE.length && BY_CODE[code] != null;
    }

    public static ObjectKind byCode(int code) throws CorruptObjectException {
        if (isCode(code)) {
            return BY_CODE[code];
        }
        throw new CorruptObjectException("unknown object kind " + code);
    }
}
