package dev.coral.format;

import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * A tensor whose elements are the chunks of a chunked HDF5 dataset in an open file: streamed in C
 * order a band at a time (the chunks of one index along the first dimension: each read, its
 * filters undone and its elements put in place), little-endian.
 */
record Hdf5ChunkedSource(String name, TensorSpec spec, FileChannel channel, Hdf5Chunked dataset, String fileName) implements TensorSource {
    @Override
    public InputStream openStream() {
        List<List<Integer>> byBand = dataset.chunksByBand();
        return new InputStream() {
            private int next;
            private byte[] band = new byte[0];
            private int pos;

            private boolean fill() throws IOException {
                while (pos == band.length) {
                    if (next == byBand.size()) {
                        return false;
                    }
                    band = new byte[(int) (dataset.bandRows(next) * dataset.rowBytes())];
                    for (int k : byBand.get(next)) {
                        Hdf5Chunked.Chunk c = dataset.chunks().get(k);
                        dataset.scatter(c, dataset.undoFilters(c, readStored(c), fileName), band);
                    }
                    pos = 0;
                    next++;
                }
                return true;
            }

            @Override
            public int read() throws IOException {
                return fill() ? band[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, band.length - pos);
                System.arraycopy(band, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private byte[] readStored(Hdf5Chunked.Chunk c) throws IOException {
        byte[] out = new byte[c.storedLength()];
        ByteBuffer buf = ByteBuffer.wrap(out);
        while (buf.hasRemaining()) {
            if (channel.read(buf, c.offset() + buf.position()) < 0) {
                throw new dev.coral.error.BadInputException(fileName + ": file ends inside the chunk at byte " + c.offset()
                        + " of dataset '" + name + "'");
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "tensor '" + name + "' " + spec + " in " + dataset.chunks().size() + " chunks of " + fileName;
    }
}
