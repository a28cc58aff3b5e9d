package dev.coral.error;

/** A file or object inside {@code .coral} does not verify (checksum, hash, structure). */
public class CorruptObjectException extends CoralException {
    private static final long serialVersionUID = 1L;

    public CorruptObjectException(String message) {
        super(message);
    }

    public CorruptObjectException(String message, Throwable cause) {
        super(message, cause);
    }
}
