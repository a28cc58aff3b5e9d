package dev.coral.error;

/** The folder given is not inside a Coral repository. */
public class NotARepositoryException extends CoralException {
    private static final long serialVersionUID = 1L;

    public NotARepositoryException(String message) {
        super(message);
    }
}
