package dev.coral.api;

/** Told about long work (adding, checking out files) so a terminal can show progress. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (what, done, total, item) -> { };

    /** Step {@code done} of {@code total} of {@code what} ("adding"), on {@code item} (a path). */
    void step(String what, int done, int total, String item);
}
