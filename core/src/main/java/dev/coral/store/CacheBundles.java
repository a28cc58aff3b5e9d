package dev.coral.store;

import dev.coral.io.Crc32c;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chunk cache's small entries, many to a file: a commit's chunks under
 * {@link #SMALL_ENTRY_BYTES} go into one bundle file, written whole through a temporary file and
 * renamed in, never changed after. One file per chunk cost a file of 50,000 tensors of 4 KB
 * 4-5 s of system time per command-line add (create, write, rename and unlink per entry) and
 * twice its bytes on disk (4 KB entries in 8 KB blocks). A process reads the indexes of the
 * bundles in the folder once, at its first look-up, and keeps their files open while it reads.
 *
 * <pre>
 * Bundle   --&gt; Magic, Version, Count, Index^Count, IndexCrc, Body^Count
 * Magic    --&gt; "CORALCHB"
 * Version  --&gt; u32 big-endian, 1
 * Count    --&gt; u32 big-endian: entries
 * Index    --&gt; Id (32 bytes), Previous (32 bytes, all zero for none: the version the chunk follows),
 *              Offset (u64: of the body, from the file's start), Length (u32), BodyCrc (u32 CRC32C of the body)
 * IndexCrc --&gt; u32 CRC32C of every preceding byte
 * Body     --&gt; the chunk's raw bytes
 * </pre>
 *
 * Best-effort as the rest of the cache: a bundle whose index does not check is ignored and
 * deleted, a body whose CRC does not check deletes its bundle; either is a miss.
 */
final class CacheBundles {
    static final byte[] MAGIC = "CORALCHB".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEAD_BYTES = 8 + 4 + 4;
    static final int INDEX_ENTRY_BYTES = 2 * ObjectId.BYTES + 8 + 4 + 4;
    /** Chunks shorter than this go into bundles; longer ones keep a file each (its open is small beside its read). */
    static final int SMALL_ENTRY_BYTES = 64 << 10;
    private static final String PREFIX = "bundle-";
    private static final byte[] NO_PREVIOUS = new byte[ObjectId.BYTES];

    /** An entry of a bundle: where its body lies and what its index says. */
    record Entry(Path bundle, ObjectId id, ObjectId previous, long offset, int length, int crc) {
    }

    /** A chunk to bundle: its id, the version it follows (null: none) and its raw bytes. */
    record Item(ObjectId id, ObjectId previous, byte[] bytes) {
    }

    private final Path dir;
    private final Map<ObjectId, Entry> entries = new ConcurrentHashMap<>();
    private final Map<Path, FileChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    CacheBundles(Path dir) {
        this.dir = dir;
    }

    /** Whether {@code name} is a bundle's file name (a temporary one starts with ".tmp-" instead). */
    static boolean isBundleName(String name) {
        return name.startsWith(PREFIX) && name.length() == PREFIX.length() + 32 && ObjectId.isHex(name.substring(PREFIX.length()));
    }

    /** The entry of chunk {@code id} in the bundles, or null; the folder's bundles are indexed at the first call. */
    Entry find(ObjectId id) {
        load();
        return entries.get(id);
    }

    /** The entries of every bundle indexed, by bundle. */
    Map<Path, List<Entry>> byBundle() {
        load();
        Map<Path, List<Entry>> all = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            all.computeIfAbsent(e.bundle(), k -> new ArrayList<>()).add(e);
        }
        return all;
    }

    private void load() {
        if (loaded) {
            return;
        }
        synchronized (this) {
            if (loaded) {
                return;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*")) {
                for (Path p : ds) {
                    if (isBundleName(p.getFileName().toString())) {
                        List<Entry> index = readIndex(p);
                        if (index == null) {
                            delete(p);
                        } else {
                            for (Entry e : index) {
                                entries.put(e.id(), e);
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no folder yet, or unreadable: nothing bundled
            }
            loaded = true;
        }
    }

    /** The index of bundle {@code p}; null when it does not check (damaged, another version, not a bundle). */
    static List<Entry> readIndex(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(HEAD_BYTES);
            readFully(ch, head, 0);
            for (int i = 0; i < MAGIC.length; i++) {
                if (head.get(i) != MAGIC[i]) {
                    return null;
                }
            }
            int count = head.getInt(8 + 4);
            if (head.getInt(8) != VERSION || count < 0 || (long) count * INDEX_ENTRY_BYTES + HEAD_BYTES + 4 > size) {
                return null;
            }
            int indexEnd = HEAD_BYTES + count * INDEX_ENTRY_BYTES;
            ByteBuffer all = ByteBuffer.allocate(indexEnd + 4);
            readFully(ch, all, 0);
            byte[] b = all.array();
            if (Crc32c.of(b, 0, indexEnd) != all.getInt(indexEnd)) {
                return null;
            }
            List<Entry> index = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int at = HEAD_BYTES + i * INDEX_ENTRY_BYTES;
                ObjectId id = ObjectId.fromBytes(b, at);
                boolean none = java.util.Arrays.equals(b, at + ObjectId.BYTES, at + 2 * ObjectId.BYTES, NO_PREVIOUS, 0, ObjectId.BYTES);
                ObjectId previous = none ? null : ObjectId.fromBytes(b, at + ObjectId.BYTES);
                long offset = all.getLong(at + 2 * ObjectId.BYTES);
                int length = all.getInt(at + 2 * ObjectId.BYTES + 8);
                int crc = all.getInt(at + 2 * ObjectId.BYTES + 12);
                if (offset < indexEnd + 4 || length < 0 || offset + length > size) {
                    return null;
                }
                index.add(new Entry(p, id, previous, offset, length, crc));
            }
            return index;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Reads entry {@code e} into {@code dst[0, e.length())}; false (its bundle deleted when the
     * body does not check, dropped from the index when it is gone) on any failure.
     */
    boolean read(Entry e, byte[] dst) {
        try {
            FileChannel ch = channel(e.bundle());
            readFully(ch, ByteBuffer.wrap(dst, 0, e.length()), e.offset());
            if (Crc32c.of(dst, 0, e.length()) != e.crc()) {
                drop(e.bundle());
                return false;
            }
            return true;
        } catch (java.nio.file.NoSuchFileException gone) {
            forget(e.bundle());
            return false;
        } catch (IOException | RuntimeException ex) {
            drop(e.bundle());
            return false;
        }
    }

    private FileChannel channel(Path p) throws IOException {
        FileChannel ch = channels.get(p);
        if (ch != null && ch.isOpen()) {
            return ch;
        }
        FileChannel opened = FileChannel.open(p, StandardOpenOption.READ);
        FileChannel raced = channels.putIfAbsent(p, opened);
        if (raced != null && raced.isOpen()) {
            opened.close();
            return raced;
        }
        if (raced != null) {
            channels.put(p, opened);
        }
        return opened;
    }

    /**
     * Writes {@code items} as one new bundle (through a temporary file, renamed in) and indexes
     * it; returns its path. Throws when it cannot be written (the caller ignores that: a miss).
     */
    Path write(List<Item> items) throws IOException {
        load();
        int count = items.size();
        int indexEnd = HEAD_BYTES + count * INDEX_ENTRY_BYTES;
        ByteBuffer index = ByteBuffer.allocate(indexEnd + 4).order(ByteOrder.BIG_ENDIAN);
        index.put(MAGIC).putInt(VERSION).putInt(count);
        long offset = indexEnd + 4;
        int[] crcs = new int[count];
        for (int i = 0; i < count; i++) {
            Item it = items.get(i);
            byte[] idAndPrevious = new byte[2 * ObjectId.BYTES];
            it.id().copyTo(idAndPrevious, 0);
            if (it.previous() != null) {
                it.previous().copyTo(idAndPrevious, ObjectId.BYTES);
            }
            crcs[i] = Crc32c.of(it.bytes(), 0, it.bytes().length);
            index.put(idAndPrevious).putLong(offset).putInt(it.bytes().length).putInt(crcs[i]);
            offset += it.bytes().length;
        }
        index.putInt(Crc32c.of(index.array(), 0, indexEnd)).flip();
        byte[] name = new byte[16];
        ThreadLocalRandom.current().nextBytes(name);
        Path target = dir.resolve(PREFIX + HexFormat.of().formatHex(name));
        Path tmp = dir.resolve(".tmp-" + target.getFileName());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long at = 0;
                while (index.hasRemaining()) {
                    at += ch.write(index, at);
                }
                for (Item it : items) {
                    ByteBuffer body = ByteBuffer.wrap(it.bytes());
                    while (body.hasRemaining()) {
                        at += ch.write(body, at);
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            delete(tmp);
        }
        offset = indexEnd + 4;
        for (int i = 0; i < count; i++) {
            Item it = items.get(i);
            entries.put(it.id(), new Entry(target, it.id(), it.previous(), offset, it.bytes().length, crcs[i]));
            offset += it.bytes().length;
        }
        return target;
    }

    /** Deletes bundle {@code p} and forgets its entries. */
    void drop(Path p) {
        forget(p);
        delete(p);
    }

    /** Forgets bundle {@code p}'s entries (it is gone, or going) and closes its file. */
    void forget(Path p) {
        entries.values().removeIf(e -> e.bundle().equals(p));
        closeChannel(p);
    }

    /** Closes the bundles' files (reads after this open them again). */
    void close() {
        for (Path p : List.copyOf(channels.keySet())) {
            closeChannel(p);
        }
    }

    private void closeChannel(Path p) {
        FileChannel ch = channels.remove(p);
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing to keep
            }
        }
    }

    private static void delete(Path p) {
        p.toFile().delete();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new java.io.EOFException("bundle shorter than its index says");
            }
            pos += n;
        }
    }
}
