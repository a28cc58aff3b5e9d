package dev.coral.io;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A small file that proves itself: every metadata file Coral writes (refs, HEAD, config, staging
 * index, pack index) has this layout.
 *
 * <pre>
 * File    --&gt; Magic, Version, BodyLength, Body, Crc
 * Magic   --&gt; 8 ASCII bytes naming the file kind ("CORALREF", "CORALIDX", ...)
 * Version --&gt; u32 big-endian
 * BodyLength --&gt; u64 big-endian
 * Crc     --&gt; u32 CRC32C of every preceding byte
 * </pre>
 *
 * Files are written through {@link AtomicFile}, so a reader sees the old or the new file whole.
 */
public final class ChecksummedFile {
    static final int HEADER_BYTES = 8 + 4 + 8;
    static final int FOOTER_BYTES = 4;

    private ChecksummedFile() {
    }

    /** Serializes {@code body} with header and footer. */
    public static byte[] encode(String magic, int version, byte[] body) {
        byte[] m = magicBytes(magic);
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + body.length + FOOTER_BYTES).order(ByteOrder.BIG_ENDIAN);
        buf.put(m).putInt(version).putLong(body.length).put(body);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /** Writes the file atomically and durably. */
    public static void write(Path file, String magic, int version, byte[] body) throws IOException {
        AtomicFile.write(file, encode(magic, version, body));
    }

    /**
     * Reads and verifies the file; returns its body.
     *
     * @throws CorruptObjectException if magic, length or checksum do not verify, or it cannot be read (a folder; naming the file)
     * @throws UnsupportedVersionException if the version is outside [minVersion, maxVersion]
     * @throws NoSuchFileException if it does not exist
     */
    public static Body read(Path file, String magic, int minVersion, int maxVersion) throws IOException {
        return read(file, magic, minVersion, maxVersion, Integer.MAX_VALUE - 8);
    }

    /** As {@link #read(Path, String, int, int)}, refusing a file of more than {@code maxBytes} (HEAD, a ref: a few dozen). */
    public static Body read(Path file, String magic, int minVersion, int maxVersion, long maxBytes) throws IOException {
        byte[] bytes;
        try {
            bytes = RegularFileBytes.read(file, maxBytes, "a " + magic + " file");
        } catch (java.nio.file.FileSystemException | dev.coral.error.CoralException e) {
            throw e; // names its file; a missing one is told apart by its class
        } catch (IOException e) { // "Is a directory", an I/O error: java.io names no file
            throw new CorruptObjectException(file + ": cannot be read: " + e.getMessage(), e);
        }
        return decode(file.toString(), bytes, magic, minVersion, maxVersion);
    }

    /** Verifies {@code bytes} read from {@code name}. */
    public static Body decode(String name, byte[] bytes, String magic, int minVersion, int maxVersion)
            throws IOException {
        if (bytes.length < HEADER_BYTES + FOOTER_BYTES) {
            throw new CorruptObjectException(name + ": truncated (" + bytes.length + " bytes)");
        }
        byte[] m = magicBytes(magic);
        for (int i = 0; i < m.length; i++) {
            if (bytes[i] != m[i]) {
                throw new CorruptObjectException(name + ": not a " + magic + " file (bad magic)");
            }
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int crcStored = buf.getInt(bytes.length - FOOTER_BYTES);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - FOOTER_BYTES);
        if ((int) crc.getValue() != crcStored) {
            throw new CorruptObjectException(String.format("%s: checksum mismatch (stored %08x, computed %08x)",
                    name, crcStored, (int) crc.getValue()));
        }
        int version = buf.getInt(8);
        if (version < minVersion || version > maxVersion) {
            throw new UnsupportedVersionException(name + ": format version " + version
                    + " not supported (this Coral reads " + minVersion + ".." + maxVersion + ")");
        }
        long len = buf.getLong(12);
        if (len != bytes.length - HEADER_BYTES - FOOTER_BYTES) {
            throw new CorruptObjectException(name + ": body length " + len + " does not match file size " + bytes.length);
        }
        byte[] body = new byte[(int) len];
        System.arraycopy(bytes, HEADER_BYTES, body, 0, body.length);
        return new Body(version, body);
    }

    private static byte[] magicBytes(String magic) {
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (m.length != 8) {
            throw new IllegalArgumentException("magic must be 8 ASCII bytes: " + magic);
        }
        return m;
    }

    /** A verified body and the version it was written with. */
    public record Body(int version, byte[] bytes) {
    }
}
