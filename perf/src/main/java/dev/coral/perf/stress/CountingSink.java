package dev.coral.perf.stress;

import java.io.OutputStream;

/** Counts the bytes written to it and keeps none of them. */
final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        count += len;
    }
}
