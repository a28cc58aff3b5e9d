package dev.coral.error;

/** A revision expression (branch, tag, id prefix, {@code HEAD~N}) names nothing, or several things. */
public class UnknownRevisionException extends CoralException {
    private static final long serialVersionUID = 1L;

    public UnknownRevisionException(String message) {
        super(message);
    }
}
