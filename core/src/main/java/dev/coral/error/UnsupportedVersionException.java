package dev.coral.error;

/** A file in {@code .coral} was written by a newer (or unknown) version of its format. */
public class UnsupportedVersionException extends CoralException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(String message) {
        super(message);
    }
}
