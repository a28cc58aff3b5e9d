package dev.coral.store;

import dev.coral.codec.ChunkCodec;
import dev.coral.error.CorruptObjectException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A pack opened for reading, with its index. Reads are positioned, so one instance serves many
 * threads at once. Every entry read checks that its head matches the index and its CRC.
 */
final class PackFile implements AutoCloseable {
    private final Path file;
    private final PackIndex index;
    private final FileChannel channel;

    PackFile(Path file, PackIndex index) throws IOException {
        this.file = file;
        this.index = index;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        if (channel.size() != index.packLength()) {
            channel.close();
            throw new CorruptObjectException(file + ": " + channel.size() + " bytes, its index says " + index.packLength());
        }
    }

    PackIndex index() {
        return index;
    }

    Path path() {
        return file;
    }

    /** Reads and decodes the entry into {@code dst}, which must hold {@code entry.rawLength()} bytes. */
    void readInto(PackIndex.Entry entry, byte[] dst) throws IOException {
        String what = file.getFileName() + " object " + entry.id().hex();
        byte[] stored = readVerified(entry, what);
        ChunkCodec.byId(entry.codec()).decode(stored, entry.storedLength(), dst, (int) entry.rawLength(), what);
    }

    private byte[] readVerified(PackIndex.Entry entry, String what) throws IOException {
        int total = PackLayout.ENTRY_HEAD_BYTES + entry.storedLength() + PackLayout.ENTRY_CRC_BYTES;
        if (entry.offset() + total > index.packLength() - PackLayout.TRAILER_BYTES) {
            throw new CorruptObjectException(what + ": extends past the end of the pack");
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        long pos = entry.offset();
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new EOFException(what + ": pack ends early");
            }
            pos += n;
        }
        byte[] b = buf.array();
        CRC32C crc = new CRC32C();
        crc.update(b, 0, total - 4);
        if ((int) crc.getValue() != buf.getInt(total - 4)) {
            throw new CorruptObjectException(what + ": entry checksum mismatch");
        }
        byte[] idBytes = Arrays.copyOfRange(b, 2, 2 + ObjectId.BYTES);
        if ((b[0] & 0xFF) != entry.kind().code() || (b[1] & 0xFF) != entry.codec()
                || !Arrays.equals(idBytes, entry.id().toBytes())
                || buf.getLong(2 + ObjectId.BYTES) != entry.rawLength()
                || buf.getInt(2 + ObjectId.BYTES + 8) != entry.storedLength()) {
            throw new CorruptObjectException(what + ": entry does not match the pack index");
        }
        return Arrays.copyOfRange(b, PackLayout.ENTRY_HEAD_BYTES, PackLayout.ENTRY_HEAD_BYTES + entry.storedLength());
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
