package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.MissingObjectException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The object database: every pack under {@code .coral/packs} whose index is in place. Reads are
 * thread-safe and see packs other threads or processes finish (the folder is rescanned when an
 * id is not found). Writes go through an {@link ObjectInserter}, one per thread.
 */
public final class ObjectStore implements PackedObjects, AutoCloseable {
    private final Path packsDir;
    private final int zstdLevel;
    private final Map<ObjectId, PackFile> packs = new ConcurrentHashMap<>();
    private volatile PackFile[] packOrder = new PackFile[0];
    private volatile ChunkIndex chunkIndex;

    public ObjectStore(Path packsDir, int zstdLevel) throws IOException {
        this.packsDir = packsDir;
        this.zstdLevel = zstdLevel;
        Files.createDirectories(packsDir);
        refresh();
    }

    /** A located object: the pack holding it and its index entry. */
    public record Found(PackFile pack, PackIndex.Entry entry) {
    }

    /**
     * Makes inserters consult {@code index} (see {@link ObjectInserter}) and record new packs in
     * it; null detaches. The store takes ownership: {@link #close()} closes it. Readers never use
     * it. An {@link LmdbChunkIndex} is kept covering every loaded pack, so that a miss in it
     * needs no pack search; any other index is only a hint.
     */
    public void useChunkIndex(ChunkIndex index) {
        this.chunkIndex = index;
    }

    /** The attached chunk index, or null. */
    public ChunkIndex chunkIndex() {
        return chunkIndex;
    }

    /** The loaded pack named {@code packId}, or null. */
    PackFile loadedPack(ObjectId packId) {
        return packs.get(packId);
    }

    /** How many packs are loaded (it only grows until {@link #close()}). */
    int loadedPackCount() {
        return packOrder.length;
    }

    public Path packsDir() {
        return packsDir;
    }

    /** Opens packs that appeared since the last scan. */
    public synchronized void refresh() throws IOException {
        List<PackFile> added = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(packsDir, PackLayout.PREFIX + "*" + PackLayout.INDEX_SUFFIX)) {
            for (Path idx : ds) {
                String name = idx.getFileName().toString();
                String hex = name.substring(PackLayout.PREFIX.length(), name.length() - PackLayout.INDEX_SUFFIX.length());
                if (!ObjectId.isHex(hex) || hex.length() != 64 || packs.containsKey(ObjectId.fromHex(hex))) {
                    continue;
                }
                PackIndex index = PackIndex.read(idx);
                if (!index.packId().hex().equals(hex)) {
                    throw new CorruptObjectException(idx + ": names pack " + index.packId().hex());
                }
                Path pack = packsDir.resolve(PackLayout.packFileName(index.packId()));
                try {
                    added.add(new PackFile(pack, index));
                } catch (NoSuchFileException e) {
                    throw new CorruptObjectException(idx + ": its pack " + pack.getFileName() + " is missing");
                }
            }
        }
        if (!added.isEmpty()) {
            register(added);
        }
    }

    synchronized void register(List<PackFile> added) {
        List<PackFile> order = new ArrayList<>(added);
        order.addAll(Arrays.asList(packOrder));
        for (PackFile p : added) {
            packs.put(p.index().packId(), p);
        }
        packOrder = order.toArray(new PackFile[0]);
    }

    synchronized void registerNew(PackIndex index) throws IOException {
        if (!packs.containsKey(index.packId())) {
            register(List.of(new PackFile(packsDir.resolve(PackLayout.packFileName(index.packId())), index)));
        }
    }

    /** Finds {@code id} in the loaded packs, rescanning the folder once on a miss; null if absent. */
    public Found find(ObjectId id) throws IOException {
        Found f = findLoaded(id);
        if (f == null) {
            refresh();
            f = findLoaded(id);
        }
        return f;
    }

    Found findLoaded(ObjectId id) {
        for (PackFile p : packOrder) {
            PackIndex.Entry e = p.index().find(id);
            if (e != null) {
                return new Found(p, e);
            }
        }
        return null;
    }

    public boolean contains(ObjectId id) throws IOException {
        return find(id) != null;
    }

    /** Raw length of a stored object. */
    public long rawLength(ObjectId id) throws IOException {
        return require(id).entry().rawLength();
    }

    /** Bytes the object takes in its pack (payload only). */
    public long storedLength(ObjectId id) throws IOException {
        return require(id).entry().storedLength();
    }

    /**
     * Reads a small object whole and checks its hash.
     *
     * @throws MissingObjectException if absent
     * @throws CorruptObjectException if it is not of {@code kind} or does not verify
     */
    public byte[] readObject(ObjectId id, ObjectKind kind) throws IOException {
        Found f = require(id);
        if (f.entry().kind() != kind) {
            throw new CorruptObjectException("object " + id.hex() + " is a " + f.entry().kind() + ", expected a " + kind);
        }
        if (f.entry().rawLength() > Integer.MAX_VALUE - 16) {
            throw new CorruptObjectException("object " + id.hex() + " is too large for a " + kind);
        }
        byte[] out = new byte[(int) f.entry().rawLength()];
        f.pack().readInto(f.entry(), out);
        if (!ObjectId.hashOf(out).equals(id)) {
            throw new CorruptObjectException(f.pack().path().getFileName() + " object " + id.hex() + ": content does not match its id");
        }
        return out;
    }

    /**
     * Decodes the chunk into {@code dst} (at least its raw length); returns the raw length.
     * When {@code verifyHash}, the SHA-256 of the bytes is checked against the id.
     */
    public int readChunk(ObjectId id, byte[] dst, boolean verifyHash) throws IOException {
        Found f = require(id);
        int n = (int) f.entry().rawLength();
        if (dst.length < n) {
            throw new IllegalArgumentException("buffer of " + dst.length + " bytes for a chunk of " + n);
        }
        f.pack().readInto(f.entry(), dst);
        if (verifyHash && !ObjectId.hashOf(dst, 0, n).equals(id)) {
            throw new CorruptObjectException(f.pack().path().getFileName() + " chunk " + id.hex() + ": content does not match its id");
        }
        return n;
    }

    private Found require(ObjectId id) throws IOException {
        Found f = find(id);
        if (f == null) {
            throw new MissingObjectException("object " + id.hex() + " is not in the repository");
        }
        return f;
    }

    /** A new inserter; its objects become visible at {@link ObjectInserter#flush()}. */
    public ObjectInserter newInserter() {
        return new ObjectInserter(this, zstdLevel);
    }

    /** Every loaded pack's index, newest first. */
    public List<PackIndex> packIndexes() {
        List<PackIndex> out = new ArrayList<>();
        for (PackFile p : packOrder) {
            out.add(p.index());
        }
        return out;
    }

    @Override
    public void forEachObject(BiConsumer<ObjectId, ObjectLocation> sink) throws IOException {
        refresh();
        for (PackFile p : packOrder) {
            PackIndex idx = p.index();
            for (int i = 0; i < idx.size(); i++) {
                PackIndex.Entry e = idx.entryAt(i);
                sink.accept(e.id(), new ObjectLocation(idx.packId(), e.offset(), e.storedLength()));
            }
        }
    }

    @Override
    public long estimatedObjectCount() {
        long n = 0;
        for (PackFile p : packOrder) {
            n += p.index().size();
        }
        return n;
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (PackFile p : packOrder) {
            try {
                p.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        packs.clear();
        packOrder = new PackFile[0];
        ChunkIndex index = chunkIndex;
        chunkIndex = null;
        if (index != null) {
            try {
                index.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
