package dev.coral.error;

/** Input given by the user (a weight file, an argument, a tensor map) is not acceptable. */
public class BadInputException extends CoralException {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
