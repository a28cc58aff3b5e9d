package dev.coral.format;

import dev.coral.error.CorruptObjectException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Restore info for an HDF5 file of other values than those added (a lossy commit's, a merge's)
 * where the file's layout cannot take them: its gzip-compressed chunks would compress to other
 * lengths. The file is then written anew by {@link Hdf5Writer} (the tensors contiguous, the
 * metadata as root string attributes): value-identical, and the same bytes every time, so a lossy
 * entry's recorded checksums hold.
 *
 * <pre>
 * magic "CH5W", u8 version 1, metadata (u32 count; per entry u32 length + UTF-8 key, u32 length + UTF-8 value), u32 CRC32C of all before
 * </pre>
 */
final class Hdf5Anew {
    private static final byte[] MAGIC = {'C', 'H', '5', 'W'};
    private static final int VERSION = 1;

    private Hdf5Anew() {
    }

    static boolean is(byte[] info) {
        return info.length >= MAGIC.length && Arrays.equals(info, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    static byte[] encode(Map<String, String> metadata) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(VERSION);
            writeMetadata(metadata, out);
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory
        }
    }

    static Map<String, String> decode(byte[] info, String where) throws CorruptObjectException {
        if (!is(info) || info.length < MAGIC.length + 1 + 4 + 4) {
            throw new CorruptObjectException(where + ": not HDF5 restore info for a file written anew");
        }
        if (info[MAGIC.length] != VERSION) {
            throw new CorruptObjectException(where + ": HDF5 restore info (written anew) version " + info[MAGIC.length]
                    + " is not one this Coral reads (" + VERSION + ")");
        }
        Hdf5Layout.checkCrc(info, where + ": HDF5 restore info (written anew)");
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(info, MAGIC.length + 1, info.length - MAGIC.length - 5));
            Map<String, String> m = readMetadata(in, info.length, where);
            if (in.available() != 0) {
                throw new CorruptObjectException(where + ": HDF5 restore info (written anew) has " + in.available() + " bytes too many");
            }
            return m;
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info (written anew) is truncated");
        } catch (CorruptObjectException e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info (written anew) unreadable: " + e.getMessage());
        }
    }

    static void writeMetadata(Map<String, String> metadata, DataOutputStream out) throws IOException {
        Map<String, String> sorted = new TreeMap<>(metadata);
        out.writeInt(sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            writeString(e.getKey(), out);
            writeString(e.getValue(), out);
        }
    }

    static Map<String, String> readMetadata(DataInputStream in, int limit, String where) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit / 8) {
            throw new CorruptObjectException(where + ": HDF5 restore info lists " + n + " metadata entries in " + limit + " bytes");
        }
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            out.put(readString(in, limit, where), readString(in, limit, where));
        }
        return out;
    }

    private static void writeString(String s, DataOutputStream out) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in, int limit, String where) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit || n > in.available()) {
            throw new CorruptObjectException(where + ": HDF5 restore info has a metadata string of " + n + " bytes");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}
