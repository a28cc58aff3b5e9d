package dev.coral.store;

import dev.coral.io.AtomicFile;
import dev.coral.io.Crc32c;
import dev.coral.io.EarlySync;
import dev.coral.io.FaultPoints;
import dev.coral.io.Folders;
import dev.coral.io.WriteErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Appends entries to a new pack under a temporary name; {@link #finish} fsyncs it, names it by
 * its content and renames pack, then index, into place. Not thread-safe: one writer per
 * inserter. A writer closed without finishing deletes its temporary file.
 */
final class PackWriter implements AutoCloseable {
    private static final int BUFFER = 1 << 20;
    /**
     * Every this many bytes written, the pack's data is flushed to the device on a background
     * thread (fdatasync) while the writer goes on, so that the fsync at {@link #finish} waits for
     * the tail only, not for the whole pack.
     */
    static final long EARLY_SYNC_BYTES = 16L << 20;

    private final Path packsDir;
    private final Path tempFile;
    private final FileChannel channel;
    private ByteBuffer buffer = takeBuffer();
    /**
     * Direct buffers of finished writers, reused: a fresh one is zeroed (1 MiB per pack, two packs
     * per commit: ~3% of a small commit).
     */
    private static final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> SPARE_BUFFERS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The writer's own and, past {@link #BACKGROUND_WRITE_AFTER}, its background writer's. */
    private static final int MAX_SPARE_BUFFERS = 2 * BackgroundChannelWriter.BUFFERS;

    private static ByteBuffer takeBuffer() {
        ByteBuffer b = SPARE_BUFFERS.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(BUFFER);
    }

    private void returnBuffer() {
        ByteBuffer b = buffer;
        buffer = null;
        spareBuffer(b);
    }

    private static void spareBuffer(ByteBuffer b) {
        if (b != null && SPARE_BUFFERS.size() < MAX_SPARE_BUFFERS) {
            SPARE_BUFFERS.add(b);
        }
    }
    /** Past this many bytes a pack's buffers are written on a thread of their own (small packs never start one). */
    static final long BACKGROUND_WRITE_AFTER = 4L << 20;
    private BackgroundChannelWriter background;
    /**
     * CRC32C of the pack so far, extended by each part's own CRC ({@link Crc32c#combine}): the
     * entry CRC and the pack CRC no longer read every payload byte again each, and a chunk's body
     * CRC comes from its sealed frame (measured, 84 MB commits through one handle: 3-4% less CPU).
     */
    private int packCrc;
    private final List<PackIndex.Entry> entries = new ArrayList<>();
    private long position;
    private boolean done;
    /** Null when not durable. */
    private final EarlySync earlySync;
    private final boolean durable;

    PackWriter(Path packsDir) throws IOException {
        this(packsDir, true);
    }

    /**
     * @param durable fsync the pack, its index and the folder before the pack counts as written;
     *                false for a scratch store's packs, which a crash makes worthless anyway
     */
    PackWriter(Path packsDir, boolean durable) throws IOException {
        this.packsDir = packsDir;
        this.durable = durable;
        Folders.ensure(packsDir);
        this.tempFile = AtomicFile.tempSibling(packsDir.resolve("incoming.pack"));
        try {
            this.channel = FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw WriteErrors.naming(packsDir, e); // the folder, not a temporary name the user never sees
        }
        this.earlySync = durable ? new EarlySync(channel, EARLY_SYNC_BYTES, tempFile.getFileName().toString()) : null;
        byte[] head = ByteBuffer.allocate(PackLayout.HEADER_BYTES)
                .put(PackLayout.MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(PackLayout.VERSION).array();
        writeCounted(head, 0, head.length);
    }

    /** Appends one entry; returns its offset in the pack. */
    long append(ObjectKind kind, int codec, ObjectId id, long rawLength, byte[] payload, int payloadLength)
            throws IOException {
        return append(kind, codec, id, rawLength, NO_PREFIX, payload, payloadLength);
    }

    private static final byte[] NO_PREFIX = new byte[0];

    /** Appends one entry whose payload is {@code prefix} then {@code body[0, bodyLength)}; returns its offset. */
    long append(ObjectKind kind, int codec, ObjectId id, long rawLength, byte[] prefix, byte[] body, int bodyLength)
            throws IOException {
        return append(kind, codec, id, rawLength, prefix, body, bodyLength, Crc32c.of(body, 0, bodyLength));
    }

    /** As {@link #append(ObjectKind, int, ObjectId, long, byte[], byte[], int)}, given the CRC32C of the body. */
    long append(ObjectKind kind, int codec, ObjectId id, long rawLength, byte[] prefix, byte[] body, int bodyLength, int bodyCrc)
            throws IOException {
        long offset = position;
        int payloadLength = prefix.length + bodyLength;
        byte[] head = ByteBuffer.allocate(PackLayout.ENTRY_HEAD_BYTES)
                .put((byte) kind.code()).put((byte) codec).put(id.toBytes())
                .putLong(rawLength).putInt(payloadLength).array();
        int entryCrc = Crc32c.combine(Crc32c.combine(Crc32c.of(head, 0, head.length), Crc32c.of(prefix, 0, prefix.length), prefix.length),
                bodyCrc, bodyLength);
        write(head, 0, head.length);
        write(prefix, 0, prefix.length);
        write(body, 0, bodyLength);
        packCrc = Crc32c.combine(packCrc, entryCrc, head.length + (long) payloadLength);
        writeCounted(ByteBuffer.allocate(4).putInt(entryCrc).array(), 0, 4);
        entries.add(new PackIndex.Entry(id, kind, codec, offset, payloadLength, rawLength));
        return offset;
    }

    /**
     * Appends an entry of another pack as it is, {@code entry} the whole entry's bytes (head,
     * payload, entry CRC) at {@code bytes[off, off + length)}, already checked against its CRC
     * ({@link PackFile#readEntrySlice}); the pack CRC is extended by the entry's CRC, not by
     * reading its bytes again. Returns its offset in this pack.
     */
    long appendEntry(PackIndex.Entry entry, byte[] bytes, int off, int length) throws IOException {
        int crcAt = off + length - PackLayout.ENTRY_CRC_BYTES;
        if (length != PackLayout.ENTRY_HEAD_BYTES + entry.storedLength() + PackLayout.ENTRY_CRC_BYTES) {
            throw new IllegalArgumentException("an entry of " + entry.storedLength() + " payload bytes is not " + length + " bytes");
        }
        long offset = position;
        int entryCrc = ByteBuffer.wrap(bytes, crcAt, PackLayout.ENTRY_CRC_BYTES).getInt();
        write(bytes, off, length - PackLayout.ENTRY_CRC_BYTES);
        packCrc = Crc32c.combine(packCrc, entryCrc, length - PackLayout.ENTRY_CRC_BYTES);
        writeCounted(bytes, crcAt, PackLayout.ENTRY_CRC_BYTES);
        entries.add(new PackIndex.Entry(entry.id(), entry.kind(), entry.codec(), offset, entry.storedLength(), entry.rawLength()));
        return offset;
    }

    int entryCount() {
        return entries.size();
    }

    long bytesWritten() {
        return position;
    }

    /**
     * Completes the pack and makes it visible. Returns its index, or null if nothing was
     * appended (no pack is created).
     */
    PackIndex finish() throws IOException {
        if (entries.isEmpty()) {
            close();
            return null;
        }
        byte[] trailer = ByteBuffer.allocate(12)
                .put(PackLayout.TRAILER_MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(entries.size()).array();
        writeCounted(trailer, 0, trailer.length);
        byte[] crc = ByteBuffer.allocate(4).putInt(packCrc).array();
        write(crc, 0, 4);
        flushBuffer();
        if (background != null) {
            try {
                background.drain();
            } catch (IOException e) {
                throw WriteErrors.naming(packsDir, e); // a full disk: ".coral/packs: No space left on device"
            }
            background.close();
        }
        returnBuffer();
        try {
            FaultPoints.hit("pack.beforeFsync");
            if (earlySync != null) {
                earlySync.finish();
            }
            channel.close();
        } catch (IOException e) {
            throw WriteErrors.naming(packsDir, e);
        }
        FaultPoints.hit("pack.written");

        entries.sort(Comparator.comparing(PackIndex.Entry::id));
        ObjectId packId = PackLayout.idOf(entries.stream().map(PackIndex.Entry::id).toList(), packCrc);
        Path packFile = packsDir.resolve(PackLayout.packFileName(packId));
        Path indexFile = packsDir.resolve(PackLayout.indexFileName(packId));
        if (Files.exists(indexFile)) {
            // The same objects are already packed in the same bytes under this name: ours is redundant.
            Files.deleteIfExists(tempFile);
        } else {
            AtomicFile.moveIntoPlace(tempFile, packFile, durable);
            FaultPoints.hit("pack.renamedBeforeIndex");
            AtomicFile.write(indexFile, PackIndex.encode(packId, position, entries), durable);
            FaultPoints.hit("pack.indexed");
        }
        done = true;
        return PackIndex.read(indexFile);
    }

    /** Writes bytes the pack CRC covers and that no entry CRC did. */
    private void writeCounted(byte[] b, int off, int len) throws IOException {
        packCrc = Crc32c.combine(packCrc, Crc32c.of(b, off, len), len);
        write(b, off, len);
    }

    /** Writes bytes whose CRC the caller adds to {@link #packCrc} (or the pack CRC itself). */
    private void write(byte[] b, int off, int len) throws IOException {
        position += len;
        while (len > 0) {
            if (!buffer.hasRemaining()) {
                flushBuffer();
            }
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            off += n;
            len -= n;
        }
    }

    private void flushBuffer() throws IOException {
        try {
            flushBufferNamed();
        } catch (IOException e) {
            throw WriteErrors.naming(packsDir, e);
        }
    }

    private void flushBufferNamed() throws IOException {
        if (background == null && position >= BACKGROUND_WRITE_AFTER) {
            background = new BackgroundChannelWriter(channel, PackWriter::takeBuffer, PackWriter::spareBuffer, tempFile.getFileName().toString());
        }
        if (background != null) {
            buffer = background.submit(buffer);
        } else {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
        if (earlySync != null) {
            earlySync.written(position);
        }
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            try {
                if (earlySync != null) {
                    earlySync.abandon();
                }
                if (background != null) {
                    background.close(); // its thread has stopped: no write uses the buffer any more
                }
                returnBuffer();
                channel.close();
            } finally {
                Files.deleteIfExists(tempFile);
            }
        }
    }
}
