package dev.coral.error;

import java.io.IOException;

/**
 * Root of Coral's checked failures. Every message is one line that names the file, argument,
 * tensor or revision at fault, so the CLI can print it as it is: control characters in it (a
 * name read from a damaged file) are escaped ({@link OneLine}).
 */
public class CoralException extends IOException {
    private static final long serialVersionUID = 1L;

    public CoralException(String message) {
        super(OneLine.of(message));
    }

    public CoralException(String message, Throwable cause) {
        super(OneLine.of(message), cause);
    }
}
