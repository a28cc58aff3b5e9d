package dev.coral.repo;

import dev.coral.format.TensorSource;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A committed tensor, read lazily from the store: as a stream, or as one read-only
 * {@link ByteBuffer} per chunk. Never materializes the whole tensor. Thread-safe (each stream
 * or iterator is single-threaded).
 */
public final class StoredTensor implements TensorSource {
    private final String name;
    private final ObjectId id;
    private final TensorObject tensor;
    private final ObjectStore store;
    private final boolean verify;

    public StoredTensor(String name, ObjectId id, TensorObject tensor, ObjectStore store) {
        this(name, id, tensor, store, false);
    }

    private StoredTensor(String name, ObjectId id, TensorObject tensor, ObjectStore store, boolean verify) {
        this.name = name;
        this.id = id;
        this.tensor = tensor;
        this.store = store;
        this.verify = verify;
    }

    /** This tensor, whose {@link #openStream()} checks every chunk's SHA-256 against its id. */
    public StoredTensor verifying() {
        return new StoredTensor(name, id, tensor, store, true);
    }

    /** Whether this tensor's reads check every chunk's SHA-256 ({@link #verifying}). */
    boolean verifies() {
        return verify;
    }

    @Override
    public String name() {
        return name;
    }

    public ObjectId id() {
        return id;
    }

    @Override
    public TensorSpec spec() {
        return tensor.spec();
    }

    public TensorObject object() {
        return tensor;
    }

    /** Bytes the tensor's distinct chunks take in packs. */
    public long storedBytes() throws IOException {
        long n = 0;
        java.util.Set<ObjectId> seen = new java.util.HashSet<>();
        for (ChunkRef c : tensor.chunks()) {
            if (seen.add(c.id())) {
                n += store.storedLength(c.id());
            }
        }
        return n;
    }

    @Override
    public InputStream openStream() {
        return new ChunkedTensorInputStream(store, tensor, verify);
    }

    /** A stream that also checks every chunk's SHA-256 against its id. */
    public InputStream openVerifiedStream() {
        return new ChunkedTensorInputStream(store, tensor, true);
    }

    /**
     * The tensor's bytes as one read-only buffer per chunk, decoded as the iterator advances.
     * An I/O failure surfaces as {@link java.io.UncheckedIOException}.
     */
    public Iterator<ByteBuffer> chunks() {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < tensor.chunks().size();
            }

            @Override
            public ByteBuffer next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ChunkRef ref = tensor.chunks().get(i++);
                byte[] b = new byte[(int) ref.rawLength()];
                try {
                    store.readChunk(ref.id(), b, false);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return ByteBuffer.wrap(b).asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            }
        };
    }
}
