package dev.coral.format;

import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * Rebuilds the chunks of one chunked dataset from its tensor's stream, as a checkout writes the
 * file: the tensor read a band at a time (the chunks of one index along the first dimension),
 * each chunk gathered from its band, its padding put back and its filters applied again
 * ({@link Hdf5Chunked}); a band's chunks are rebuilt side by side on the common pool when the band
 * is read (one deflate each: most of such a checkout). A chunk whose rebuilt bytes are not as long
 * as the file held is refused: it would move every byte after it.
 */
final class Hdf5ChunkWriter implements AutoCloseable {
    private final Hdf5Chunked dataset;
    private final InputStream in;
    private final String where;
    private byte[] band = new byte[0];
    private long loaded = -1;
    private int written;
    /** The rebuilt bytes of the loaded band's chunks, by their index in the dataset's list. */
    private final java.util.Map<Integer, byte[]> rebuilt = new java.util.concurrent.ConcurrentHashMap<>();

    /** The indexes (in the dataset's list) of each band's chunks. */
    private final List<List<Integer>> byBand;

    Hdf5ChunkWriter(Hdf5Chunked dataset, TensorSource source, String where) throws IOException {
        this.dataset = dataset;
        this.byBand = dataset.chunksByBand();
        this.in = source.openStream();
        this.where = where;
    }

    /** Writes chunk {@code k} (of the dataset's list, in file order) to {@code out}. */
    void write(int k, OutputStream out) throws IOException {
        Hdf5Chunked.Chunk c = dataset.chunks().get(k);
        long b = dataset.band(c);
        while (loaded < b) {
            loaded++;
            int n = (int) (dataset.bandRows(loaded) * dataset.rowBytes());
            if (band.length != n) {
                band = new byte[n];
            }
            if (in.readNBytes(band, 0, n) != n) {
                throw new CorruptObjectException(where + ": a chunked dataset's tensor ends before band " + loaded);
            }
            rebuildBand(loaded);
        }
        if (loaded != b) {
            throw new IllegalStateException("chunk at " + Arrays.toString(c.origin()) + " after a later band"); // decode checks the order
        }
        byte[] stored = rebuilt.remove(k);
        if (stored.length != c.storedLength()) {
            throw new CorruptObjectException(where + ": the chunk at " + Arrays.toString(c.origin()) + " rebuilds to "
                    + stored.length + " bytes, not the " + c.storedLength() + " the file held (this machine's deflate writes"
                    + " other bytes than the one that added it)");
        }
        out.write(stored);
        written++;
    }

    private void rebuildBand(long b) {
        rebuilt.clear();
        List<Hdf5Chunked.Chunk> chunks = dataset.chunks();
        byte[] source = band;
        byBand.get((int) b).parallelStream()
                .forEach(k -> rebuilt.put(k, dataset.applyFilters(chunks.get(k), dataset.gather(chunks.get(k), source))));
    }

    boolean done() {
        return written == dataset.chunks().size();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
