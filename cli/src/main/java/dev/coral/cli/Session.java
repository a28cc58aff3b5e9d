package dev.coral.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What one run of the command line reads and writes: standard input, standard output, standard
 * error, whether error output is a terminal (progress is shown only then), whether
 * {@code CORAL_DEBUG} asks for stack traces, inside {@code coral batch} the repository handles it
 * keeps between commands (null otherwise), and the folder relative paths are taken against (null:
 * the process's; the daemon runs each command in its caller's folder).
 */
record Session(InputStream in, PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles, Path folder) {
    Session(PrintStream out, PrintStream err, boolean terminal, boolean debug) {
        this(System.in, out, err, terminal, debug, null);
    }

    Session(InputStream in, PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles) {
        this(in, out, err, terminal, debug, handles, null);
    }

    /** Whether the command runs inside {@code coral batch}, whose standard output carries the replies, not the command's. */
    boolean batched() {
        return handles != null;
    }
}
