package dev.coral.store;

import dev.coral.codec.ChunkCodec;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.FaultPoints;
import dev.coral.io.OpenFileLimit;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A pack opened for reading. Reads are positioned, so one instance serves many threads at once.
 * Every entry read checks that its head matches the index entry and its CRC. A pack known from
 * its own index is opened at once; a pack known only from the multi-pack index is opened at its
 * first read (and has no {@link #index()} until one is attached), so a store over a thousand
 * packs opens none of them until it needs them. Its store's {@link OpenPacks} closes the file
 * again when more packs than its limit are open; the next read reopens it.
 */
final class PackFile implements AutoCloseable {
    /**
     * The pack file, or (for a lazy pack, until its first use) null: {@link #dir} and the id name
     * it. {@code dir} is null for a pack opened from its file.
     */
    private volatile Path file;
    private final Path dir;
    private final ObjectId packId;
    private final long packLength;
    private volatile PackIndex index;
    /** The store's bound on open packs; null for a pack read on its own (a merge's source). */
    private final OpenPacks openPacks;
    private FileChannel channel; // guarded by this
    /** Reads using {@link #channel} now. Guarded by this. */
    private int readers;
    /** Evicted while being read: the channel closes when the last read ends. Guarded by this. */
    private boolean closeWhenIdle;
    private boolean closed; // guarded by this
    /** Whether the file was ever open here. Guarded by this. */
    private boolean openedBefore;
    private volatile long lastUse;

    private PackFile(Path file, Path dir, ObjectId packId, long packLength, PackIndex index, OpenPacks openPacks) {
        this.file = file;
        this.dir = dir;
        this.packId = packId;
        this.packLength = packLength;
        this.index = index;
        this.openPacks = openPacks;
    }

    /**
     * A pack described by its index, opened now (and closed again when {@code openPacks} needs
     * room: it reopens at its next read).
     *
     * @throws NoSuchFileException if the pack file is missing
     * @throws CorruptObjectException if its size is not the one its index records
     */
    static PackFile open(Path file, PackIndex index, OpenPacks openPacks) throws IOException {
        PackFile p = new PackFile(file, null, index.packId(), index.packLength(), index, openPacks); // no folder: the file names it
        p.release(p.acquire());
        return p;
    }

    /** A pack read on its own, outside any store: open until {@link #close}. */
    static PackFile open(Path file, PackIndex index) throws IOException {
        return open(file, index, null);
    }

    /** A pack of {@code packsDir} the multi-pack index describes, opened at its first read. */
    static PackFile lazy(Path packsDir, ObjectId packId, long packLength, OpenPacks openPacks) {
        return new PackFile(null, packsDir, packId, packLength, null, openPacks);
    }

    /** Its index, or null for a pack known from the multi-pack index alone. */
    PackIndex index() {
        return index;
    }

    /** Gives a pack known from the multi-pack index its own index, read later. */
    void attachIndex(PackIndex idx) throws CorruptObjectException {
        if (!idx.packId().equals(packId) || idx.packLength() != packLength) {
            throw new CorruptObjectException(path().getFileName() + ": its index says " + idx.packLength()
                    + " bytes, the multi-pack index " + packLength);
        }
        index = idx;
    }

    /**
     * Forgets its own index once the multi-pack index covers the pack: look-ups go there, and a
     * store that lives long (a training loop) would otherwise keep every pack's index it wrote.
     * {@link ObjectStore} reads it again should it be needed.
     */
    void detachIndex() {
        index = null;
    }

    ObjectId packId() {
        return packId;
    }

    long packLength() {
        return packLength;
    }

    Path path() {
        Path f = file;
        if (f == null) {
            f = dir.resolve(PackLayout.packFileName(packId));
            file = f;
        }
        return f;
    }

    long lastUse() {
        return lastUse;
    }

    /** Whether the file is open now (for tests). */
    synchronized boolean isOpen() {
        return channel != null;
    }

    /**
     * The channel for one read, opened (and checked against the recorded length) if it is not
     * open; every call is paired with {@link #release}.
     */
    private FileChannel acquire() throws IOException {
        try {
            return acquireOnce();
        } catch (IOException e) {
            // the process holds as many files as it may: close the store's other packs and try once more (not while
            // holding this pack's monitor: closing another takes its monitor, and its opener may be closing this one)
            if (openPacks == null || !OpenFileLimit.reached(e) || !openPacks.shrink(this)) {
                throw e;
            }
            return acquireOnce();
        }
    }

    private FileChannel acquireOnce() throws IOException {
        FileChannel c;
        boolean opened = false;
        synchronized (this) {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (channel == null) {
                channel = openChecked();
                opened = true;
            }
            readers++;
            c = channel;
        }
        lastUse = openPacks == null ? 0 : openPacks.tick();
        if (opened && openPacks != null) {
            openPacks.opened(this); // may evict others, never this one (it is being read)
        }
        return c;
    }

    /**
     * A pack file gone from the folder when it was to be opened: listed by the multi-pack index
     * but never opened here, or closed to make room ({@link #evict}) and since deleted. Another
     * process's gc or repack does that after it wrote the objects elsewhere, so the store looks
     * them up again ({@link ObjectStore}) before this is an error.
     */
    static final class MissingPackException extends CorruptObjectException {
        MissingPackException(String message) {
            super(message);
        }
    }

    /** The point ({@link FaultPoints}) just before a pack's file opens: tests fail the open there as a process out of files would. */
    static final String OPENING = "pack: opening";

    private FileChannel openChecked() throws IOException {
        FileChannel c;
        try {
            FaultPoints.hit(OPENING);
            c = FileChannel.open(path(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            if (dir == null && !openedBefore) {
                // opened from its file by open(), just told of by its index: its caller says what is missing. Not a lazy
                // pack that was given its own index later (withIndex): found by fuzzing, one deleted by a pack merge made
                // a reader fail with the bare "no such file" instead of looking the object up again
                throw e;
            }
            throw new MissingPackException(path() + ": pack is missing ("
                    + (openedBefore ? "deleted since it was read: a gc or repack?" : "the multi-pack index lists it") + ")");
        }
        openedBefore = true;
        long size;
        try {
            size = c.size();
        } catch (IOException e) {
            c.close();
            throw e;
        }
        if (size != packLength) {
            c.close();
            throw new CorruptObjectException(path() + ": " + size + " bytes, its index says " + packLength);
        }
        return c;
    }

    /** Ends a read begun by {@link #acquire}: closes the channel if it was evicted meanwhile and this was its last read. */
    private void release(FileChannel c) {
        FileChannel toClose = null;
        synchronized (this) {
            readers--;
            if (readers == 0 && closeWhenIdle && channel == c) {
                toClose = c;
                channel = null;
                closeWhenIdle = false;
            }
        }
        if (toClose != null) {
            closeQuietly(toClose);
        }
    }

    /**
     * The pack's files were deleted: the store forgets this pack. Its file is closed now, or when
     * its reads in progress end, and leaves the open-file bound; a reader holding an older view
     * that reads it again finds it missing.
     */
    void gone() {
        evict();
        if (openPacks != null) {
            openPacks.closed(this);
        }
    }

    /**
     * Closes the file to make room for another pack: now, or when its reads in progress end.
     * Reopens at the next read. Returns whether it closed the file now.
     */
    boolean evict() {
        FileChannel toClose = null;
        synchronized (this) {
            if (channel == null) {
                return false;
            }
            if (readers > 0) {
                closeWhenIdle = true;
                return false;
            }
            toClose = channel;
            channel = null;
        }
        closeQuietly(toClose);
        return true;
    }

    /**
     * A channel found closed under a read: the file is shared by every thread, and a thread
     * interrupted while it reads closes it for all (FileChannel is interruptible). It is
     * forgotten, so that the next read opens the file again.
     */
    private void forget(FileChannel c) {
        boolean was;
        synchronized (this) {
            was = channel == c;
            if (was) {
                channel = null;
                closeWhenIdle = false;
            }
        }
        if (was && openPacks != null) {
            openPacks.closed(this);
        }
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // a read-only file: nothing was written that closing could lose
        }
    }

    /** What one read does with the channel. */
    private interface ChannelRead<T> {
        T read(FileChannel ch) throws IOException;
    }

    /**
     * Runs {@code read} with the channel; if another thread's interrupt closed the channel, once
     * more on a reopened one. A thread interrupted itself gets its ClosedByInterruptException.
     */
    private <T> T withChannel(ChannelRead<T> read) throws IOException {
        for (int attempt = 0; ; attempt++) {
            FileChannel c = acquire();
            try {
                return read.read(c);
            } catch (ClosedChannelException e) {
                if (attempt > 0 || e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                forget(c);
            } finally {
                release(c);
            }
        }
    }

    /** Reads and decodes the entry into {@code dst}, which must hold {@code entry.rawLength()} bytes. */
    void readInto(PackIndex.Entry entry, byte[] dst) throws IOException {
        byte[] stored = readPayload(entry);
        ChunkCodec.byId(entry.codec()).decode(stored, entry.storedLength(), dst, (int) entry.rawLength(), what(entry));
    }

    /**
     * How errors name the entry: made only for an error (made for every read, with the id's 64 hex
     * digits, it was 3% of the main thread of an add of 50,000 small tensors, JFR).
     */
    private String what(PackIndex.Entry entry) {
        return path().getFileName() + " object " + entry.id().hex();
    }

    /** The entry's payload, its CRC and head checked against the index. */
    byte[] readPayload(PackIndex.Entry entry) throws IOException {
        Slice s = readPayloadSlice(entry);
        return Arrays.copyOfRange(s.array(), s.offset(), s.offset() + s.length());
    }

    /** A payload at {@code array[offset, offset+length)}: read without copying it out of the entry's buffer. */
    record Slice(byte[] array, int offset, int length) {
        int end() {
            return offset + length;
        }
    }

    /** As {@link #readPayload}, without the copy: the payload inside the buffer the whole entry was read into. */
    Slice readPayloadSlice(PackIndex.Entry entry) throws IOException {
        return readVerified(entry, n -> null);
    }

    /**
     * As {@link #readPayloadSlice(PackIndex.Entry)}, reading into {@code buffers.apply(n)} (at least
     * n bytes, or null for a fresh array), asked for only once the entry is known to lie inside the
     * pack. Spares zeroing a new buffer per read.
     */
    Slice readPayloadSlice(PackIndex.Entry entry, java.util.function.IntFunction<byte[]> buffers) throws IOException {
        return readVerified(entry, buffers);
    }

    /**
     * The whole entry (head, payload and entry CRC) at {@code [offset, offset + length)} of
     * {@code buffers.apply(n)}'s array (or a fresh one), checked as {@link #readPayloadSlice} checks it:
     * what a merge copies into another pack as it is.
     */
    Slice readEntrySlice(PackIndex.Entry entry, java.util.function.IntFunction<byte[]> buffers) throws IOException {
        Slice payload = readVerified(entry, buffers);
        return new Slice(payload.array(), payload.offset() - PackLayout.ENTRY_HEAD_BYTES,
                PackLayout.ENTRY_HEAD_BYTES + payload.length() + PackLayout.ENTRY_CRC_BYTES);
    }

    /** The first {@code n} bytes of the entry's payload (no CRC check: the whole entry is checked when read). */
    byte[] readPayloadPrefix(PackIndex.Entry entry, int n) throws IOException {
        if (n > entry.storedLength()) {
            throw new CorruptObjectException(what(entry) + ": payload shorter than " + n + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate(n);
        readFully(buf, entry.offset() + PackLayout.ENTRY_HEAD_BYTES, entry);
        return buf.array();
    }

    private Slice readVerified(PackIndex.Entry entry, java.util.function.IntFunction<byte[]> buffers) throws IOException {
        int total = PackLayout.ENTRY_HEAD_BYTES + entry.storedLength() + PackLayout.ENTRY_CRC_BYTES;
        if (entry.offset() + total > packLength - PackLayout.TRAILER_BYTES) {
            throw new CorruptObjectException(what(entry) + ": extends past the end of the pack");
        }
        byte[] reuse = buffers.apply(total);
        ByteBuffer buf = reuse != null && reuse.length >= total ? ByteBuffer.wrap(reuse, 0, total) : ByteBuffer.allocate(total);
        readFully(buf, entry.offset(), entry);
        byte[] b = buf.array();
        CRC32C crc = new CRC32C();
        crc.update(b, 0, total - 4);
        if ((int) crc.getValue() != buf.getInt(total - 4)) {
            throw new CorruptObjectException(what(entry) + ": entry checksum mismatch");
        }
        if ((b[0] & 0xFF) != entry.kind().code() || (b[1] & 0xFF) != entry.codec()
                || !entry.id().isAt(b, 2)
                || buf.getLong(2 + ObjectId.BYTES) != entry.rawLength()
                || buf.getInt(2 + ObjectId.BYTES + 8) != entry.storedLength()) {
            throw new CorruptObjectException(what(entry) + ": entry does not match the pack index");
        }
        return new Slice(b, PackLayout.ENTRY_HEAD_BYTES, entry.storedLength());
    }

    /** Reads {@code buf}'s remaining bytes from {@code pos}; from the start again if the channel had to be reopened. */
    private void readFully(ByteBuffer buf, long pos, PackIndex.Entry entry) throws IOException {
        int start = buf.position();
        withChannel(ch -> {
            buf.position(start);
            long at = pos;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, at);
                if (n < 0) {
                    throw new EOFException(what(entry) + ": pack ends early");
                }
                at += n;
            }
            return null;
        });
    }

    @Override
    public void close() throws IOException {
        FileChannel c;
        synchronized (this) {
            closed = true;
            c = channel;
            channel = null;
        }
        if (openPacks != null) {
            openPacks.closed(this);
        }
        if (c != null) {
            c.close();
        }
    }
}
