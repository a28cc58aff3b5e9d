package dev.coral.cli;

import dev.coral.api.ProgressListener;
import java.io.PrintStream;

/**
 * Shows {@code adding 3/10 model.safetensors} on one rewritten line of standard error when it is a
 * terminal, and nothing when output is piped. {@link #close} clears the line.
 */
final class TerminalProgress implements ProgressListener, AutoCloseable {
    private static final int WIDTH = 78;
    private final PrintStream err;
    private final boolean enabled;
    private boolean shown;

    TerminalProgress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    @Override
    public synchronized void step(String what, int done, int total, String item) {
        if (!enabled) {
            return;
        }
        String line = what + " " + done + "/" + total + " " + item;
        if (line.length() > WIDTH) {
            line = line.substring(0, WIDTH - 3) + "...";
        }
        err.print("\r\033[K" + line);
        err.flush();
        shown = true;
    }

    @Override
    public synchronized void close() {
        if (shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }
}
