package dev.coral.format;

import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;

/**
 * A tensor whose bytes sit at {@code offset} of an open file; big-endian data
 * ({@code swap}) is turned little-endian while streaming.
 */
record ChannelTensorSource(String name, TensorSpec spec, FileChannel channel, long offset, boolean swap,
                           String fileName) implements TensorSource {
    @Override
    public InputStream openStream() throws IOException {
        InputStream raw = new ChannelRangeInputStream(channel, offset, spec.byteSize(), fileName);
        return ByteSwappingInputStream.wrap(raw, spec.dtype().swapUnitBytes(), swap);
    }

    @Override
    public String toString() {
        return "tensor '" + name + "' " + spec + " at " + offset + " of " + fileName;
    }
}
