package dev.coral.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * What one run of the command line reads and writes: standard input, standard output, standard
 * error, whether error output is a terminal (progress is shown only then), whether
 * {@code CORAL_DEBUG} asks for stack traces, and, inside {@code coral batch}, the repository
 * handles it keeps between commands (null otherwise).
 */
record Session(InputStream in, PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles) {
    Session(PrintStream out, PrintStream err, boolean terminal, boolean debug) {
        this(System.in, out, err, terminal, debug, null);
    }

    /** Whether the command runs inside {@code coral batch}, whose standard output carries the replies, not the command's. */
    boolean batched() {
        return handles != null;
    }
}
