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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;

/**
 * What an npz needs besides its tensors' bytes to be rebuilt, in one of two versions
 * (big-endian integers):
 *
 * <ul>
 * <li>Version 1, value-identical: for each member in order, its name, its compression method and
 * its verbatim npy header; the zip around them is Coral's own.
 * {@code u8 version=1, u32 count}, then per member
 * {@code u32 nameLength, name (UTF-8), u8 method (0 stored, 8 deflated), u32 headerLength, header}.</li>
 * <li>Version 2, byte-identical, for an npz whose members are all stored ({@code np.savez}): the
 * file's own bytes with each tensor's data cut out (the "skeleton": zip headers, npy headers,
 * directory, comment, whatever else the file holds), and where each tensor's data goes back.
 * {@code u8 version=2, u32 count}, then per member
 * {@code u32 nameLength, name (UTF-8), u32 headerLength, u64 cutAt}, then
 * {@code u32 skeletonLength, skeleton}. A member's tensor data goes into the skeleton at
 * {@code cutAt}, right after its npy header, the {@code headerLength} bytes before it.</li>
 * <li>Version 3, byte-identical, for an npz with deflated members ({@code np.savez_compressed})
 * each of which this machine's deflate rebuilds exactly ({@link DeflateReplay}): as version 2, but
 * a deflated member's whole deflate stream is cut out of the skeleton, its npy header kept
 * apart, and the level recorded that deflates the header and the tensor's data back into that
 * stream. {@code u8 version=3, u32 count}, then per member {@code u32 nameLength, name (UTF-8),
 * u8 kind}: kind 0 (stored) {@code u32 headerLength, u64 cutAt} as version 2; kind 1 (deflated)
 * {@code u8 level (0-9), u32 headerLength, header, u64 cutAt, u64 deflatedLength}: the stream
 * goes into the skeleton at {@code cutAt} and is {@code deflatedLength} bytes long. Then
 * {@code u32 skeletonLength, skeleton}.</li>
 * </ul>
 */
final class NpzRestoreInfo {
    static final int VERSION = 1;
    static final int VERBATIM_VERSION = 2;
    static final int DEFLATED_VERBATIM_VERSION = 3;
    /** The level of a stored member in a {@link Verbatim}. */
    static final int STORED = -1;
    private static final int KIND_STORED = 0;
    private static final int KIND_DEFLATED = 1;

    /** One zip member: {@code method} is {@link ZipEntry#STORED} or {@link ZipEntry#DEFLATED}. */
    record Member(String name, int method, byte[] npyHeader) {
    }

    /**
     * A version 2 or 3 restore info: the members, in the order the tensors are listed, the
     * skeleton offset each one's tensor data (a stored member) or deflate stream (a deflated one)
     * goes in at, each member's deflate level ({@link #STORED} for a stored one) and the length
     * of its deflate stream (0 for a stored one), and the skeleton.
     */
    record Verbatim(List<Member> members, long[] cutAt, int[] levels, long[] deflatedLengths, byte[] skeleton) {
        /** Whether a member is deflated (version 3). */
        boolean anyDeflated() {
            return Arrays.stream(levels).anyMatch(l -> l != STORED);
        }

        /** The members' indexes in the order their data lies in the file. */
        int[] fileOrder() {
            return IntStream.range(0, members.size()).boxed().sorted(Comparator.comparingLong(i -> cutAt[i]))
                    .mapToInt(Integer::intValue).toArray();
        }
    }

    private NpzRestoreInfo() {
    }

    static byte[] encode(List<Member> members) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeInt(members.size());
            for (Member m : members) {
                writeName(out, m.name());
                out.writeByte(m.method());
                out.writeInt(m.npyHeader().length);
                out.write(m.npyHeader());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen writing to memory
        }
        return bytes.toByteArray();
    }

    /** Version 2: {@code names}' data goes into {@code skeleton} at {@code cutAt}, after npy headers of {@code headerLengths}. */
    static byte[] encodeVerbatim(List<String> names, int[] headerLengths, long[] cutAt, byte[] skeleton) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(skeleton.length + 64 * names.size() + 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERBATIM_VERSION);
            out.writeInt(names.size());
            for (int i = 0; i < names.size(); i++) {
                writeName(out, names.get(i));
                out.writeInt(headerLengths[i]);
                out.writeLong(cutAt[i]);
            }
            out.writeInt(skeleton.length);
            out.write(skeleton);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Version 2 when every member is stored, else version 3: each member's data (stored) or deflate
     * stream (deflated, its npy header in {@code members}) goes into {@code skeleton} at {@code cutAt}.
     */
    static byte[] encodeVerbatim(Verbatim v) {
        List<Member> members = v.members();
        if (!v.anyDeflated()) {
            return encodeVerbatim(members.stream().map(Member::name).toList(),
                    members.stream().mapToInt(m -> m.npyHeader().length).toArray(), v.cutAt(), v.skeleton());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(v.skeleton().length + 192 * members.size() + 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(DEFLATED_VERBATIM_VERSION);
            out.writeInt(members.size());
            for (int i = 0; i < members.size(); i++) {
                Member m = members.get(i);
                writeName(out, m.name());
                if (v.levels()[i] == STORED) {
                    out.writeByte(KIND_STORED);
                    out.writeInt(m.npyHeader().length);
                    out.writeLong(v.cutAt()[i]);
                } else {
                    out.writeByte(KIND_DEFLATED);
                    out.writeByte(v.levels()[i]);
                    out.writeInt(m.npyHeader().length);
                    out.write(m.npyHeader());
                    out.writeLong(v.cutAt()[i]);
                    out.writeLong(v.deflatedLengths()[i]);
                }
            }
            out.writeInt(v.skeleton().length);
            out.write(v.skeleton());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Whether {@code info} is version 2 or 3 (the npz's own bytes around its tensors). */
    static boolean isVerbatim(byte[] info) {
        return info.length > 0 && (info[0] == VERBATIM_VERSION || info[0] == DEFLATED_VERBATIM_VERSION);
    }

    /** Whether {@code info} is version 3 (deflated members rebuilt by deflating their data again). */
    static boolean hasDeflatedMembers(byte[] info) {
        return info.length > 0 && info[0] == DEFLATED_VERBATIM_VERSION;
    }

    /** The members {@code info} lists, in the order of the tensors (versions 2 and 3: stored members' headers from the skeleton). */
    static List<Member> decode(byte[] info) throws IOException {
        return isVerbatim(info) ? decodeVerbatim(info).members() : decodeMembers(info);
    }

    /**
     * Version 1 restore info of the same members: restored from it, tensors of other values
     * (a lossy commit's) make a valid zip, where version 2's and 3's skeleton holds CRCs of the values read.
     */
    static byte[] valuesOnly(byte[] info) throws IOException {
        return isVerbatim(info) ? encode(decode(info)) : info;
    }

    private static List<Member> decodeMembers(byte[] info) throws IOException {
        String where = "npz restore info";
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(info));
        try {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw unknown(version);
            }
            int count = count(in, info.length, where);
            List<Member> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = new String(readBlock(in, info.length, where), StandardCharsets.UTF_8);
                int method = in.readUnsignedByte();
                if (method != ZipEntry.STORED && method != ZipEntry.DEFLATED) {
                    throw new CorruptObjectException(where + ": member '" + name + "' has unknown method " + method);
                }
                members.add(new Member(name, method, readBlock(in, info.length, where)));
            }
            expectEnd(in, where);
            return members;
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": truncated");
        }
    }

    /**
     * Decodes a version 2 or 3 restore info, checking that every cut and stored member's npy header
     * lies in the skeleton, members apart, and every deflate level is one of zlib's.
     */
    static Verbatim decodeVerbatim(byte[] info) throws IOException {
        String where = "npz restore info";
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(info));
        try {
            int version = in.readUnsignedByte();
            if (version != VERBATIM_VERSION && version != DEFLATED_VERBATIM_VERSION) {
                throw unknown(version);
            }
            int count = count(in, info.length, where);
            String[] names = new String[count];
            int[] headerLengths = new int[count];
            byte[][] headers = new byte[count][];
            long[] cutAt = new long[count];
            int[] levels = new int[count];
            long[] deflatedLengths = new long[count];
            for (int i = 0; i < count; i++) {
                names[i] = new String(readBlock(in, info.length, where), StandardCharsets.UTF_8);
                int kind = version == VERBATIM_VERSION ? KIND_STORED : in.readUnsignedByte();
                if (kind == KIND_STORED) {
                    levels[i] = STORED;
                    headerLengths[i] = in.readInt();
                    cutAt[i] = in.readLong();
                } else if (kind == KIND_DEFLATED) {
                    levels[i] = in.readUnsignedByte();
                    if (levels[i] > 9) {
                        throw new CorruptObjectException(where + ": member '" + names[i] + "' has deflate level " + levels[i] + " (0-9)");
                    }
                    headers[i] = readBlock(in, info.length, where);
                    headerLengths[i] = headers[i].length;
                    cutAt[i] = in.readLong();
                    deflatedLengths[i] = in.readLong();
                    if (deflatedLengths[i] < 1) {
                        throw new CorruptObjectException(where + ": member '" + names[i] + "' has a deflate stream of "
                                + deflatedLengths[i] + " bytes");
                    }
                } else {
                    throw new CorruptObjectException(where + ": member '" + names[i] + "' is of unknown kind " + kind);
                }
            }
            byte[] skeleton = readBlock(in, info.length, where);
            expectEnd(in, where);
            List<Member> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int inSkeleton = levels[i] == STORED ? headerLengths[i] : 0; // a deflated member's header is kept apart
                if (headerLengths[i] < 0 || cutAt[i] < inSkeleton || cutAt[i] > skeleton.length) {
                    throw new CorruptObjectException(where + ": member '" + names[i] + "' lies outside the " + skeleton.length
                            + "-byte skeleton (npy header of " + headerLengths[i] + " bytes before offset " + cutAt[i] + ")");
                }
                members.add(levels[i] == STORED
                        ? new Member(names[i], ZipEntry.STORED, Arrays.copyOfRange(skeleton, (int) cutAt[i] - headerLengths[i], (int) cutAt[i]))
                        : new Member(names[i], ZipEntry.DEFLATED, headers[i]));
            }
            Verbatim v = new Verbatim(members, cutAt, levels, deflatedLengths, skeleton);
            long previousCut = 0;
            for (int i : v.fileOrder()) {
                int inSkeleton = levels[i] == STORED ? headerLengths[i] : 0;
                if (cutAt[i] - inSkeleton < previousCut) {
                    throw new CorruptObjectException(where + ": member '" + names[i] + "' overlaps the member before it");
                }
                previousCut = cutAt[i];
            }
            return v;
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": truncated");
        }
    }

    private static void writeName(DataOutputStream out, String name) throws IOException {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static UnsupportedVersionException unknown(int version) {
        return new UnsupportedVersionException("npz restore info: version " + version + " is not known (this Coral reads versions "
                + VERSION + " to " + DEFLATED_VERBATIM_VERSION + ")");
    }

    private static int count(DataInputStream in, int limit, String where) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > limit) {
            throw new CorruptObjectException(where + ": bad member count " + count);
        }
        return count;
    }

    private static void expectEnd(DataInputStream in, String where) throws IOException {
        if (in.available() > 0) {
            throw new CorruptObjectException(where + ": " + in.available() + " trailing bytes");
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
