package dev.coral.error;

/** A lock needed to change the repository could not be taken. */
public class LockFailedException extends CoralException {
    private static final long serialVersionUID = 1L;

    public LockFailedException(String message) {
        super(message);
    }
}
