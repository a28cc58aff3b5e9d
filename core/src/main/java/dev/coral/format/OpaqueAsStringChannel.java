package dev.coral.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.TreeSet;

/**
 * A read-only view of HDF5 data ({@code size} bytes from byte {@code start} of a file) for jhdf,
 * in which every datatype message of an object header that declares an opaque type without a tag
 * reads as a fixed-length string type of the same size. The file is not changed:
 * only the bytes jhdf is handed.
 *
 * <p>Why: jhdf 0.10.0 cannot read a group holding an opaque dataset with no tag (it looks for
 * the tag's NUL in no bytes), which is what h5py writes for a numpy 'V' dtype and so for Keras
 * 3's bfloat16 variables (ml_dtypes' bfloat16, marked with an attribute {@code dtype="bfloat16"}).
 * A string type has no properties, so its message is as long as the opaque one it replaces;
 * the dataset's shape and data address read as they are. {@link #patchedIn} tells which datasets
 * were opaque, so a string dataset that was one is never taken for a string. An attribute of such
 * a type (a numpy 'V' value; jhdf fails on its object's header, which at the root refused the file)
 * reads as an object reference instead, which Coral never takes as metadata.
 *
 * <p>The message is recognised with its message header (type 3, body 8 bytes, flags 0 or
 * "constant": 8 bytes in a version-1 object header, 4 or 6 in a version-2 one) in each buffer jhdf
 * reads: headers are read a chunk at a time, so a message lies within one read. A version-2 header
 * (h5py's {@code libver="latest"}, and Coral's own export) carries a Jenkins checksum, which jhdf
 * checks on a read of the whole chunk: such a read gets the checksum of what it now holds. Look-alike
 * bytes elsewhere in what jhdf reads (an attribute's value) would read changed too: harmless, as
 * Coral takes from attributes only the root's strings and the marker, which hold no such NULs.
 */
final class OpaqueAsStringChannel extends FileChannel {
    /** Bytes of a v1 message header and of the opaque datatype message's body. */
    private static final int PATTERN = 16;
    /** Bytes of a v2 message header (without a creation order) and of that body. */
    private static final int V2_PATTERN = 12;

    private final FileChannel file;
    private final long start;
    private final long size;
    private final TreeSet<Long> patched = new TreeSet<>();
    private long position;

    /** A view of {@code file}'s bytes [start, start + size); closing it leaves {@code file} open. */
    OpaqueAsStringChannel(FileChannel file, long start, long size) {
        this.file = file;
        this.start = start;
        this.size = size;
    }

    /**
     * Whether a datatype message read as a string was opaque, within the first chunk of the object
     * header at {@code address}: a version-1 header's messages from address + 16 for the chunk's
     * length, a version-2 one's ("OHDR") after its prefix for its chunk 0's size.
     */
    synchronized boolean patchedIn(long address) throws IOException {
        if (patched.isEmpty() || address < 0 || address > size - 16) {
            return false;
        }
        ByteBuffer prefix = ByteBuffer.allocate(34).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        readRaw(prefix, address);
        long first;
        long chunk;
        if (prefix.position() >= 16 && prefix.get(0) == 1) {
            first = address + 16;
            chunk = Integer.toUnsignedLong(prefix.getInt(8));
        } else {
            int len = v2Prefix(prefix, 0, prefix.position());
            if (len < 0) {
                return false;
            }
            first = address + len;
            chunk = v2Chunk0(prefix, 0);
        }
        Long at = patched.ceiling(first);
        return at != null && at < first + chunk;
    }

    /** The length of the version-2 object header prefix ("OHDR" .. chunk 0's size) at b[i], when all of it lies before end; else -1. */
    private static int v2Prefix(ByteBuffer b, int i, int end) {
        if (i + 6 > end || b.get(i) != 'O' || b.get(i + 1) != 'H' || b.get(i + 2) != 'D' || b.get(i + 3) != 'R' || b.get(i + 4) != 2) {
            return -1;
        }
        int flags = b.get(i + 5) & 0xFF;
        int len = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0) + (1 << (flags & 3));
        return i + len <= end ? len : -1;
    }

    /** Chunk 0's size of the version-2 object header at b[i] (its prefix checked by {@link #v2Prefix}). */
    private static long v2Chunk0(ByteBuffer b, int i) {
        int flags = b.get(i + 5) & 0xFF;
        int at = i + v2Prefix(b, i, b.limit()) - (1 << (flags & 3));
        long v = 0;
        for (int k = (1 << (flags & 3)) - 1; k >= 0; k--) {
            v = v << 8 | (b.get(at + k) & 0xFF);
        }
        return v;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
        int from = dst.position();
        int n = readRaw(dst, at);
        if (n > 0) {
            patch(dst, from, n, at);
        }
        return n;
    }

    private int readRaw(ByteBuffer dst, long at) throws IOException {
        if (at < 0) {
            throw new IllegalArgumentException("negative position " + at);
        }
        if (at >= size) {
            return -1;
        }
        int room = (int) Math.min(dst.remaining(), size - at);
        ByteBuffer window = dst.duplicate();
        window.limit(window.position() + room);
        int total = 0;
        while (window.hasRemaining()) {
            int n = file.read(window, start + at + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        dst.position(dst.position() + total);
        return total == 0 && room > 0 ? -1 : total;
    }

    /**
     * Rewrites each tagless opaque datatype in dst[from, from + n) (file position {@code at}): a
     * dataset's as a string, an attribute's as a reference; then mends a version-2 chunk's checksum.
     */
    private synchronized void patch(ByteBuffer dst, int from, int n, long at) {
        boolean v2 = false;
        int end = from + n;
        for (int i = from; i + V2_PATTERN <= end; i++) {
            if (i + PATTERN <= end && dst.get(i) == 3 && dst.get(i + 1) == 0 && dst.get(i + 2) == 8 && dst.get(i + 3) == 0
                    && (dst.get(i + 4) & 0xFE) == 0 && dst.get(i + 5) == 0 && dst.get(i + 6) == 0 && dst.get(i + 7) == 0
                    && isTaglessOpaque(dst, i + 8)) {
                asString(dst, i + 8, at + (i - from) + 8);
                continue;
            }
            if (i + PATTERN <= end && dst.get(i) == 0x0C && dst.get(i + 1) == 0 && (dst.get(i + 4) & 0xFE) == 0 && dst.get(i + 5) == 0
                    && dst.get(i + 6) == 0 && dst.get(i + 7) == 0 && asReference(dst, attributeDatatype(dst, i + 8, end))) {
                continue;
            }
            // a version-2 header's message: type, 2-byte size, flags, then a creation order of 2 bytes or none
            if (dst.get(i) == 3 && dst.get(i + 1) == 8 && dst.get(i + 2) == 0 && (dst.get(i + 3) & 0xFE) == 0) {
                int body = isTaglessOpaque(dst, i + 4) ? i + 4 : i + 14 <= end && isTaglessOpaque(dst, i + 6) ? i + 6 : -1;
                if (body >= 0) {
                    asString(dst, body, at + (body - from));
                    v2 = true;
                    continue;
                }
            }
            if (dst.get(i) == 0x0C && (dst.get(i + 3) & 0xFE) == 0) {
                int type = attributeDatatype(dst, i + 4, end);
                v2 |= asReference(dst, type >= 0 ? type : attributeDatatype(dst, i + 6, end));
            }
        }
        if (v2) {
            resum(dst, from, n);
        }
    }

    /** Reads the tagless opaque datatype at b[type] (file position {@code position}) as a string of its size, and notes it. */
    private void asString(ByteBuffer b, int type, long position) {
        int version = (b.get(type) & 0xF0) >>> 4;
        b.put(type, (byte) (version << 4 | 3)); // class 3, string; its bit fields 0: null-terminated, ASCII
        patched.add(position);
    }

    /** Reads the tagless opaque datatype at b[type] (when type is not -1) as an object reference; returns whether it did. */
    private static boolean asReference(ByteBuffer b, int type) {
        if (type < 0) {
            return false;
        }
        int version = (b.get(type) & 0xF0) >>> 4;
        b.put(type, (byte) (version << 4 | 7)); // class 7, an object reference: no properties, not a string
        return true;
    }

    /**
     * After a version-2 message was changed in dst[from, from + n): a read that starts at an object
     * header ("OHDR": jhdf reads the whole of chunk 0 to check it) or at a continuation chunk
     * ("OCHK", read whole) gets the Jenkins lookup3 checksum of what it now holds, as jhdf checks.
     */
    private static void resum(ByteBuffer dst, int from, int n) {
        int end;
        int prefix = v2Prefix(dst, from, from + n);
        if (prefix >= 0) {
            long chunk = v2Chunk0(dst, from);
            if (chunk > n) {
                return;
            }
            end = from + prefix + (int) chunk;
        } else if (n >= 8 && dst.get(from) == 'O' && dst.get(from + 1) == 'C' && dst.get(from + 2) == 'H' && dst.get(from + 3) == 'K') {
            end = from + n - 4;
        } else {
            return;
        }
        if (end + 4 > from + n) {
            return;
        }
        byte[] covered = new byte[end - from];
        dst.get(from, covered);
        int sum = io.jhdf.checksum.JenkinsLookup3HashLittle.hash(covered);
        for (int k = 0; k < 4; k++) {
            dst.put(end + k, (byte) (sum >>> 8 * k));
        }
    }

    /**
     * Where the datatype of the attribute message body at {@code i} lies when it is a tagless opaque
     * type of 8 bytes (the whole of it within {@code end}), else -1. An attribute of such a type
     * (a numpy 'V' value) makes jhdf fail on its object's header, so on the group or, at the root,
     * the file; it reads as a reference, which Coral never takes as metadata. Attribute message
     * versions 1 (name padded to 8 bytes), 2 and 3 (an encoding byte before the name); a shared
     * datatype (version 2-3 flag 1) is not there.
     */
    private static int attributeDatatype(ByteBuffer b, int i, int end) {
        if (i + 17 > end) {
            return -1;
        }
        int version = b.get(i) & 0xFF;
        int nameSize = (b.get(i + 2) & 0xFF) | (b.get(i + 3) & 0xFF) << 8; // little-endian, whatever the buffer's order
        int typeSize = (b.get(i + 4) & 0xFF) | (b.get(i + 5) & 0xFF) << 8;
        if (typeSize != 8 || nameSize == 0) {
            return -1;
        }
        int type = switch (version) {
            case 1 -> b.get(i + 1) == 0 ? i + 8 + ((nameSize + 7) & ~7) : -1;
            case 2 -> (b.get(i + 1) & 1) == 0 ? i + 8 + nameSize : -1;
            case 3 -> (b.get(i + 1) & 1) == 0 ? i + 9 + nameSize : -1;
            default -> -1;
        };
        return type >= 0 && type + 8 <= end && isTaglessOpaque(b, type) ? type : -1;
    }

    /** A datatype body: class 5 (opaque), version 1-3, no tag (bit fields 0), an element size of at least one byte. */
    private static boolean isTaglessOpaque(ByteBuffer b, int i) {
        int head = b.get(i) & 0xFF;
        int version = head >>> 4;
        return (head & 0x0F) == 5 && version >= 1 && version <= 3 && b.get(i + 1) == 0 && b.get(i + 2) == 0 && b.get(i + 3) == 0
                && b.getInt(i + 4) != 0;
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public synchronized long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n <= 0) {
                return total == 0 ? n : total;
            }
            total += n;
        }
        return total;
    }

    @Override
    public synchronized long position() {
        return position;
    }

    @Override
    public synchronized FileChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long at, long length) throws IOException {
        if (mode != MapMode.READ_ONLY) {
            throw new NonWritableChannelException();
        }
        if (at < 0 || length < 0 || at > size - length) {
            throw new IOException("HDF5 data: a read of " + length + " bytes at " + at + " runs past its " + size + " bytes");
        }
        return file.map(mode, start + at, length); // heaps of names and dataset data: never a datatype message
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long at) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) {
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) {
        throw new UnsupportedOperationException("HDF5 data view: transferTo");
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long at, long count) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileLock lock(long at, long length, boolean shared) {
        throw new UnsupportedOperationException("HDF5 data view: lock");
    }

    @Override
    public FileLock tryLock(long at, long length, boolean shared) {
        throw new UnsupportedOperationException("HDF5 data view: tryLock");
    }

    @Override
    protected void implCloseChannel() {
        // the file belongs to the caller
    }
}
