package dev.coral.format;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;

/**
 * What an npz needs besides its tensors' bytes to be rebuilt: for each member in order, its name,
 * its compression method and its verbatim npy header.
 *
 * <p>Encoding, version 1 (big-endian integers): {@code u8 version=1, u32 count}, then per member
 * {@code u32 nameLength, name (UTF-8), u8 method (0 stored, 8 deflated), u32 headerLength, header}.
 */
final class NpzRestoreInfo {
    static final int VERSION = 1;

    /** One zip member: {@code method} is {@link ZipEntry#STORED} or {@link ZipEntry#DEFLATED}. */
    record Member(String name, int method, byte[] npyHeader) {
    }

    private NpzRestoreInfo() {
    }

    static byte[] encode(List<Member> members) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeInt(members.size());
            for (Member m : members) {
                byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
                out.writeInt(name.length);
                out.write(name);
                out.writeByte(m.method());
                out.writeInt(m.npyHeader().length);
                out.write(m.npyHeader());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen writing to memory
        }
        return bytes.toByteArray();
    }

    static List<Member> decode(byte[] info) throws IOException {
        String where = "npz restore info";
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(info));
        try {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new UnsupportedVersionException(where + ": version " + version + " is not known (this Coral reads version " + VERSION + ")");
            }
            int count = in.readInt();
            if (count < 0 || count > info.length) {
                throw new CorruptObjectException(where + ": bad member count " + count);
            }
            List<Member> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = new String(readBlock(in, info.length, where), StandardCharsets.UTF_8);
                int method = in.readUnsignedByte();
                if (method != ZipEntry.STORED && method != ZipEntry.DEFLATED) {
                    throw new CorruptObjectException(where + ": member '" + name + "' has unknown method " + method);
                }
                members.add(new Member(name, method, readBlock(in, info.length, where)));
            }
            if (in.available() > 0) {
                throw new CorruptObjectException(where + ": " + in.available() + " trailing bytes");
            }
            return members;
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": truncated");
        }
    }

    private static byte[] readBlock(DataInputStream in, int limit, String where) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new CorruptObjectException(where + ": bad length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
