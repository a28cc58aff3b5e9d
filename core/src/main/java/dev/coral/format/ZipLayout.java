package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Checks what {@link java.util.zip.ZipFile} does not: that each member's local header names the
 * member its central directory entry names, and that the members' bytes do not overlap one
 * another or the central directory. ZipFile reads a member's data through the local header its
 * directory entry points at, without comparing names, so a zip could list forty members that all
 * read the same deflated data (a bomb: a 150 KB file inflating to gigabytes), or name a member
 * {@code a.npy} in its directory and {@code ../../evil.npy} where a streaming unzip looks (both
 * found by fuzzing; numpy's zipfile refuses either).
 */
final class ZipLayout {
    private static final int EOCD = 0x06054b50;
    private static final int EOCD64 = 0x06064b50;
    private static final int EOCD64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final long MAX32 = 0xFFFFFFFFL;

    private ZipLayout() {
    }

    /** One member: where its local header starts and its data ends. */
    private record Span(String name, long start, long end) {
    }

    /**
     * Where a member's data lies, as its central directory entry and local header give it:
     * {@code method} (0 stored, 8 deflated), the file offset its data starts at (where
     * {@link java.util.zip.ZipFile} reads it from: after the local header, its name and its extra
     * field), the data's length as stored, and the CRC-32 the directory gives.
     */
    record Member(int method, long dataStart, long storedSize, long crc) {
    }

    /**
     * Checks the layout of the zip read through {@code ch} (already opened by ZipFile, which found
     * its directory), which lists {@code members} entries. {@code where} names the file in errors.
     * Returns where each member's data lies, in the central directory's order (ZipFile's).
     */
    static List<Member> check(FileChannel ch, String where, int members) throws IOException {
        long size = ch.size();
        End end = findEnd(ch, size, where);
        long count = end.count();
        long cdSize = end.cdSize();
        long cdOffset = end.cdOffset();
        if (!end.zip64() && (cdSize == MAX32 || cdOffset == MAX32)) {
            throw bad(where, "its end record asks for a zip64 record that is not there");
        }
        // where ZipFile reads the directory: right before the end record (the zip64 one, if any); a zip preceded by
        // other bytes shifts every offset by their length there, which would cut the data where ZipFile does not read it
        if (cdSize > end.endPos() || end.endPos() - cdSize != cdOffset) {
            throw bad(where, "its central directory (" + cdSize + " bytes at offset " + cdOffset + ") does not end where its end record"
                    + " starts (offset " + end.endPos() + "): bytes before the zip, or a damaged end record");
        }
        if (count != members) {
            throw bad(where, "its directory lists " + count + " members, " + members + " readable");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > size || cdSize > size - cdOffset) {
            throw bad(where, "its central directory (offset " + cdOffset + ", " + cdSize + " bytes) lies outside the file");
        }
        ByteBuffer cd = read(ch, cdOffset, (int) Math.min(cdSize, Integer.MAX_VALUE - 8), where, "central directory");
        List<Span> spans = new ArrayList<>();
        List<Member> layout = new ArrayList<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL) {
                throw bad(where, "central directory entry " + (i + 1) + " is damaged");
            }
            int method = cd.getShort(p + 10) & 0xFFFF;
            long compressed = cd.getInt(p + 20) & MAX32;
            long uncompressed = cd.getInt(p + 24) & MAX32;
            int nameLength = cd.getShort(p + 28) & 0xFFFF;
            int extraLength = cd.getShort(p + 30) & 0xFFFF;
            int commentLength = cd.getShort(p + 32) & 0xFFFF;
            long offset = cd.getInt(p + 42) & MAX32;
            int next = p + 46 + nameLength + extraLength + commentLength;
            if (next > cd.limit()) {
                throw bad(where, "central directory entry " + (i + 1) + " runs past the directory");
            }
            byte[] name = new byte[nameLength];
            cd.get(p + 46, name);
            String shown = new String(name, StandardCharsets.UTF_8);
            // zip64 extra field: the values the fixed fields mark 0xFFFFFFFF, in this order
            for (int x = p + 46 + nameLength, xEnd = x + extraLength; x + 4 <= xEnd; ) {
                int id = cd.getShort(x) & 0xFFFF;
                int len = cd.getShort(x + 2) & 0xFFFF;
                int v = x + 4;
                if (id == 1) {
                    if (uncompressed == MAX32 && v + 8 <= x + 4 + len) {
                        uncompressed = cd.getLong(v);
                        v += 8;
                    }
                    if (compressed == MAX32 && v + 8 <= x + 4 + len) {
                        compressed = cd.getLong(v);
                        v += 8;
                    }
                    if (offset == MAX32 && v + 8 <= x + 4 + len) {
                        offset = cd.getLong(v);
                    }
                }
                x += 4 + len;
            }
            if (offset < 0 || compressed < 0 || offset > cdOffset - 30) {
                throw bad(where, "member '" + shown + "': its local header (offset " + offset + ") lies outside the members' bytes");
            }
            ByteBuffer local = read(ch, offset, 30, where, "member '" + shown + "'");
            int localNameLength = local.getShort(26) & 0xFFFF;
            int localExtraLength = local.getShort(28) & 0xFFFF;
            if (local.getInt(0) != LOCAL) {
                throw bad(where, "member '" + shown + "': no local header at offset " + offset);
            }
            long dataStart = offset + 30 + localNameLength + localExtraLength;
            if (dataStart > cdOffset || compressed > cdOffset - dataStart) {
                throw bad(where, "member '" + shown + "': its " + compressed + " bytes run into the central directory");
            }
            byte[] localName = new byte[localNameLength];
            read(ch, offset + 30, localNameLength, where, "member '" + shown + "'").get(0, localName);
            if (!Arrays.equals(name, localName)) {
                int cut = Math.min(localNameLength, 2 * name.length + 16); // a damaged length may take in the data
                throw bad(where, "member '" + shown + "': its local header names '" + new String(localName, 0, cut, StandardCharsets.UTF_8)
                        + (cut < localNameLength ? "'... (" + localNameLength + " bytes)" : "'")
                        + " (the directory and the local header disagree)");
            }
            spans.add(new Span(shown, offset, dataStart + compressed));
            layout.add(new Member(method, dataStart, compressed, cd.getInt(p + 16) & MAX32));
            p = next;
        }
        spans.sort(Comparator.comparingLong(Span::start));
        for (int i = 1; i < spans.size(); i++) {
            Span a = spans.get(i - 1);
            Span b = spans.get(i);
            if (b.start() < a.end()) {
                throw bad(where, "members '" + a.name() + "' and '" + b.name() + "' overlap (bytes " + b.start() + " to "
                        + Math.min(a.end(), b.end()) + " belong to both)");
            }
        }
        return layout;
    }

    /** Reads {@code n} bytes of {@code ch} at {@code at} into {@code out} at {@code off}; the file naming {@code where} if it ends early. */
    static void readFully(FileChannel ch, long at, byte[] out, int off, int n, String where) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(out, off, n);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position() - off) < 0) {
                throw bad(where, "ends early (truncated)");
            }
        }
    }

    /**
     * The directory an end record gives: member count, size and offset, and where the record
     * starts ({@code endPos}: the zip64 end record's offset when one is used).
     */
    private record End(long count, long cdSize, long cdOffset, long endPos, boolean zip64) {
    }

    /**
     * The end of central directory record that {@link java.util.zip.ZipFile} takes (JDK 17's
     * {@code Source.findEND}): from the end of the file backwards, the first whose comment ends
     * the file, or whose directory and first local header start with their signatures; then its
     * zip64 end record, where a locator before it points at one that agrees with it. Taking
     * another one (the last whose comment ends the file, as this did) read another directory
     * than ZipFile's in a zip holding two, so that data was cut where ZipFile did not read it
     * (found by review).
     */
    private static End findEnd(FileChannel ch, long size, String where) throws IOException {
        int window = (int) Math.min(size, 22 + 0xFFFF);
        ByteBuffer tail = read(ch, size - window, window, where, "end of central directory");
        for (int i = window - 22; i >= 0; i--) {
            if (tail.getInt(i) != EOCD) {
                continue;
            }
            long endPos = size - window + i;
            long count = tail.getShort(i + 10) & 0xFFFF;
            long cdSize = tail.getInt(i + 12) & MAX32;
            long cdOffset = tail.getInt(i + 16) & MAX32;
            if (endPos + 22 + (tail.getShort(i + 20) & 0xFFFF) != size) {
                long cenPos = endPos - cdSize;
                long locPos = cenPos - cdOffset;
                if (cenPos < 0 || locPos < 0 || signatureAt(ch, cenPos) != CENTRAL || signatureAt(ch, locPos) != LOCAL) {
                    continue;
                }
            }
            return zip64(ch, new End(count, cdSize, cdOffset, endPos, false), where);
        }
        throw bad(where, "no end of central directory record");
    }

    /** {@code end} with its zip64 end record's values, where ZipFile takes them; else {@code end}. */
    private static End zip64(FileChannel ch, End end, String where) throws IOException {
        if (end.endPos() < 20 || signatureAt(ch, end.endPos() - 20) != EOCD64_LOCATOR) {
            return end;
        }
        long at = read(ch, end.endPos() - 20, 20, where, "zip64 locator").getLong(8);
        if (at < 0 || at > ch.size() - 56 || signatureAt(ch, at) != EOCD64) {
            return end;
        }
        ByteBuffer e64 = read(ch, at, 56, where, "zip64 end record");
        long count = e64.getLong(32);
        long cdSize = e64.getLong(40);
        long cdOffset = e64.getLong(48);
        if (cdSize != end.cdSize() && end.cdSize() != MAX32 || cdOffset != end.cdOffset() && end.cdOffset() != MAX32
                || count != end.count() && end.count() != 0xFFFF) {
            return end;
        }
        return new End(count, cdSize, cdOffset, at, true);
    }

    /** The 4-byte little-endian signature at {@code at}; 0 past the end of the file. */
    private static int signatureAt(FileChannel ch, long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                return 0;
            }
        }
        return b.getInt(0);
    }

    private static ByteBuffer read(FileChannel ch, long at, int n, String where, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw bad(where, what + ": ends early (truncated)");
            }
        }
        return b.flip();
    }

    private static BadInputException bad(String where, String what) {
        return new BadInputException(where + ": not a valid zip (npz) file: " + what);
    }
}
