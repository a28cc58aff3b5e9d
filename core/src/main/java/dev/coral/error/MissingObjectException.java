package dev.coral.error;

/** An object that a commit, tree or tensor refers to is not in the repository. */
public class MissingObjectException extends CoralException {
    private static final long serialVersionUID = 1L;

    public MissingObjectException(String message) {
        super(message);
    }
}
