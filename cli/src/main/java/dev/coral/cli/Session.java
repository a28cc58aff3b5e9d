package dev.coral.cli;

import java.io.PrintStream;

/**
 * What one run of the command line writes to: standard output, standard error, whether error
 * output is a terminal (progress is shown only then), and whether {@code CORAL_DEBUG} asks for
 * stack traces.
 */
record Session(PrintStream out, PrintStream err, boolean terminal, boolean debug) {
}
