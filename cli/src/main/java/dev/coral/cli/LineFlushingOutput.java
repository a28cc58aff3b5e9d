package dev.coral.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A buffered stream that flushes after each write holding a line feed: a terminal or a pipe
 * reader sees each whole line as soon as it is printed, at one write call per line (or per
 * buffer of a longer one).
 */
final class LineFlushingOutput extends BufferedOutputStream {
    LineFlushingOutput(OutputStream out, int size) {
        super(out, size);
    }

    @Override
    public synchronized void write(int b) throws IOException {
        super.write(b);
        if (b == '\n') {
            flush();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        super.write(b, off, len);
        for (int i = off + len - 1; i >= off; i--) {
            if (b[i] == '\n') {
                flush();
                return;
            }
        }
    }
}
