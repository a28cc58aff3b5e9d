package dev.coral.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * A new file's content, written through its channel with small writes buffered, counted and
 * checksummed (CRC32C) as it goes. A range of it can instead be written by other threads, each
 * piece at its place (positional writes on {@link #channel}): the caller {@linkplain #claim claims}
 * the range, then reports each piece in order with its CRC32C ({@link #wroteDirectly}), which is
 * combined in ({@link Crc32c#combine}) without reading the bytes. Does not close the channel and
 * never fsyncs. Not thread-safe: one stream per file, the positional writers coordinated by its
 * caller.
 */
public final class CheckedFileOutput extends OutputStream {
    /** Writes below this size are gathered first. */
    static final int BUFFER = 1 << 18;

    private final FileChannel channel;
    private final byte[] buffer = new byte[BUFFER];
    private int buffered;
    private long position;
    private final CRC32C pending = new CRC32C();
    private long pendingLength;
    private int folded;

    public CheckedFileOutput(FileChannel channel) {
        this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
        if (buffered == BUFFER) {
            flush();
        }
        buffer[buffered++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (len < BUFFER - buffered) {
            System.arraycopy(b, off, buffer, buffered, len);
            buffered += len;
            return;
        }
        flush();
        writeOut(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        if (buffered > 0) {
            int n = buffered;
            buffered = 0;
            writeOut(buffer, 0, n);
        }
    }

    private void writeOut(byte[] b, int off, int len) throws IOException {
        pending.update(b, off, len);
        pendingLength += len;
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
            position += channel.write(buf, position);
        }
    }

    /** The channel to write claimed ranges on (positional writes only). */
    public FileChannel channel() {
        return channel;
    }

    /**
     * Claims the next bytes of the file for positional writes by others: flushes what is buffered
     * and returns the position they start at. Report them piece by piece, in order, before writing
     * anything else through this stream.
     */
    public long claim() throws IOException {
        flush();
        return position;
    }

    /** {@code len} more bytes, with CRC32C {@code crc32c}, are written at the position reached. */
    public void wroteDirectly(long len, int crc32c) {
        if (buffered > 0) {
            throw new IllegalStateException("bytes written through the stream since the range was claimed");
        }
        fold();
        folded = Crc32c.combine(folded, crc32c, len);
        position += len;
    }

    /** Bytes written so far (flushed or not). */
    public long count() {
        return position + buffered;
    }

    /** The CRC32C of every byte written so far; flushes first. */
    public long crc32c() throws IOException {
        flush();
        fold();
        return Integer.toUnsignedLong(folded);
    }

    private void fold() {
        if (pendingLength > 0) {
            folded = Crc32c.combine(folded, (int) pending.getValue(), pendingLength);
            pending.reset();
            pendingLength = 0;
        }
    }
}
