package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.AtomicFile;
import dev.coral.io.WriteErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.zip.CRC32C;

/**
 * Where every object of many packs is, in one sorted file, {@code packs/multi-pack-index}: git's
 * multi-pack index for Coral. Opening a store reads this one file instead of one index per pack,
 * and a look-up is one binary search instead of one per pack. It is derived: the pack indexes
 * are the truth, a store without it (or with a damaged one) reads them instead, and a pack
 * written after it is found through its own index until the file is rewritten. Immutable and
 * thread-safe once read.
 *
 * <pre>
 * File   --&gt; "CORALMPX", Version u32, BodyLength u64, Body, Crc u32
 * Body   --&gt; PackCount u32, Pack^PackCount, ObjectCount u32, Fanout u32^256, Entry^ObjectCount
 * Pack   --&gt; PackId[32], PackLength u64
 * Entry  --&gt; Id[32], PackNumber u32, Kind u8, Codec u8, Offset u64, StoredLength u32, RawLength u64
 * </pre>
 *
 * The framing is {@link dev.coral.io.ChecksummedFile}'s: all integers big-endian; BodyLength is
 * the number of bytes of Body; Crc is the CRC32C of every byte before it, checked at every open.
 * Packs are sorted by id, without repeats; PackNumber is the position of the entry's pack in
 * that list; PackLength is the size of the pack file, checked when the pack is first read.
 * Entries are sorted by id, without repeats: an object stored in two packs keeps one location.
 * Fanout[b] is the number of entries whose first id byte is &le; b. Offset, StoredLength and
 * RawLength mean what they mean in the pack's own index ({@link PackIndex}).
 *
 * <p>The file is replaced whole ({@link AtomicFile}: temporary sibling, fsync, rename, folder
 * fsync) by one writer at a time, under the {@code multi-pack-index} repository lock.
 */
final class MultiPackIndex {
    static final String FILE_NAME = "multi-pack-index";
    static final String LOCK_NAME = "multi-pack-index";
    static final String MAGIC = "CORALMPX";
    static final int VERSION = 1;
    static final int HEADER_BYTES = 8 + 4 + 8;
    static final int CRC_BYTES = 4;
    static final int PACK_BYTES = ObjectId.BYTES + 8;
    static final int ENTRY_BYTES = ObjectId.BYTES + 4 + 1 + 1 + 8 + 4 + 8;
    /** The part of an entry after Id and PackNumber: laid out as in a pack index entry after its Id. */
    private static final int TAIL_BYTES = 1 + 1 + 8 + 4 + 8;
    private static final int FANOUT_BYTES = 256 * 4;
    /** The largest file this reader takes: it is read into one array (about 37 million objects). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;
    private static final int WRITE_BUFFER = 1 << 20;

    private final ObjectId[] packIds;
    private final long[] packLengths;
    private final int count;
    private final int[] fanout;
    private final ByteBuffer entries;
    private final long fileBytes;

    private MultiPackIndex(ObjectId[] packIds, long[] packLengths, int count, int[] fanout, ByteBuffer entries,
            long fileBytes) {
        this.packIds = packIds;
        this.packLengths = packLengths;
        this.count = count;
        this.fanout = fanout;
        this.entries = entries;
        this.fileBytes = fileBytes;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads and verifies the whole file.
     *
     * @throws CorruptObjectException naming the file if checksum or structure do not verify
     * @throws UnsupportedVersionException if it was written in another format version
     * @throws java.nio.file.NoSuchFileException if there is none
     */
    static MultiPackIndex read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new CorruptObjectException(file + ": " + size + " bytes, more than a multi-pack index can be");
        }
        return decode(file.toString(), dev.coral.io.RegularFileBytes.read(file, MAX_FILE_BYTES, "a multi-pack index"));
    }

    static MultiPackIndex decode(String name, byte[] bytes) throws IOException {
        if (bytes.length < HEADER_BYTES + 4 + 4 + FANOUT_BYTES + CRC_BYTES) {
            throw new CorruptObjectException(name + ": truncated (" + bytes.length + " bytes)");
        }
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length)) {
            throw new CorruptObjectException(name + ": not a " + MAGIC + " file (bad magic)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - CRC_BYTES);
        int crcStored = buf.getInt(bytes.length - CRC_BYTES);
        if ((int) crc.getValue() != crcStored) {
            throw new CorruptObjectException(String.format("%s: checksum mismatch (stored %08x, computed %08x)",
                    name, crcStored, (int) crc.getValue()));
        }
        int version = buf.getInt(8);
        if (version != VERSION) {
            throw new UnsupportedVersionException(name + ": format version " + version
                    + " not supported (this Coral reads " + VERSION + ".." + VERSION + ")");
        }
        long bodyLength = buf.getLong(12);
        if (bodyLength != bytes.length - HEADER_BYTES - CRC_BYTES) {
            throw new CorruptObjectException(name + ": body length " + bodyLength + " does not match file size " + bytes.length);
        }
        int pos = HEADER_BYTES;
        long packCount = Integer.toUnsignedLong(buf.getInt(pos));
        pos += 4;
        if (packCount * PACK_BYTES > bytes.length - pos - 4 - FANOUT_BYTES - CRC_BYTES) {
            throw new CorruptObjectException(name + ": pack count " + packCount + " does not match its size");
        }
        ObjectId[] packIds = new ObjectId[(int) packCount];
        long[] packLengths = new long[(int) packCount];
        for (int i = 0; i < packCount; i++, pos += PACK_BYTES) {
            packIds[i] = ObjectId.fromBytes(bytes, pos);
            packLengths[i] = buf.getLong(pos + ObjectId.BYTES);
            if (i > 0 && packIds[i - 1].compareTo(packIds[i]) >= 0) {
                throw new CorruptObjectException(name + ": pack " + i + " is out of order");
            }
            if (packLengths[i] < PackLayout.HEADER_BYTES + PackLayout.TRAILER_BYTES) {
                throw new CorruptObjectException(name + ": pack " + packIds[i].hex() + " has an impossible length " + packLengths[i]);
            }
        }
        long count = Integer.toUnsignedLong(buf.getInt(pos));
        pos += 4;
        int[] fan = new int[256];
        for (int b = 0; b < 256; b++, pos += 4) {
            long f = Integer.toUnsignedLong(buf.getInt(pos));
            if (f < (b == 0 ? 0 : fan[b - 1]) || f > count) {
                throw new CorruptObjectException(name + ": fan-out table is not monotonic");
            }
            fan[b] = (int) f;
        }
        if (fan[255] != count || count * ENTRY_BYTES != bytes.length - pos - CRC_BYTES) {
            throw new CorruptObjectException(name + ": object count " + count + " does not match its size");
        }
        ByteBuffer entries = ByteBuffer.wrap(bytes, pos, (int) count * ENTRY_BYTES).slice();
        // One pass over the array. It runs at every open, mostly before the JIT has compiled
        // anything: plain array arithmetic, no ByteBuffer accessors.
        int bucket = 0;
        for (int i = 0, p = pos; i < count; i++, p += ENTRY_BYTES) {
            int first = bytes[p] & 0xFF;
            while (fan[bucket] <= i) {
                bucket++;
            }
            if (first != bucket || i > 0 && !ascending(bytes, p - ENTRY_BYTES, p)) {
                throw new CorruptObjectException(name + ": entry " + i + " is out of order");
            }
            long pack = u32(bytes, p + 32);
            if (pack >= packCount) {
                throw new CorruptObjectException(name + ": entry " + i + " names pack " + pack + " of " + packCount);
            }
            int kind = bytes[p + 36] & 0xFF;
            if (!ObjectKind.isCode(kind)) {
                throw new CorruptObjectException(name + ": entry " + i + " has an unknown object kind " + kind);
            }
            long offset = i64(bytes, p + 38);
            long stored = u32(bytes, p + 46);
            long raw = i64(bytes, p + 50);
            if (offset < PackLayout.HEADER_BYTES || raw < 0
                    || offset + PackLayout.ENTRY_HEAD_BYTES + stored + PackLayout.ENTRY_CRC_BYTES
                            > packLengths[(int) pack] - PackLayout.TRAILER_BYTES) {
                throw new CorruptObjectException(name + ": entry " + i + " is out of its pack");
            }
        }
        return new MultiPackIndex(packIds, packLengths, (int) count, fan, entries, bytes.length);
    }

    /** Whether the id at {@code b} is greater than the id at {@code a}, unsigned. */
    private static boolean ascending(byte[] bytes, int a, int b) {
        for (int k = 0; k < ObjectId.BYTES; k++) {
            int x = bytes[a + k] & 0xFF;
            int y = bytes[b + k] & 0xFF;
            if (x != y) {
                return x < y;
            }
        }
        return false;
    }

    private static long u32(byte[] b, int p) {
        return (b[p] & 0xFFL) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | b[p + 3] & 0xFF;
    }

    private static long i64(byte[] b, int p) {
        return u32(b, p) << 32 | u32(b, p + 4);
    }

    // ---------------------------------------------------------------- queries

    int packCount() {
        return packIds.length;
    }

    ObjectId packId(int packNumber) {
        return packIds[packNumber];
    }

    long packLength(int packNumber) {
        return packLengths[packNumber];
    }

    /** Whether the pack {@code packId} is one this file covers. */
    boolean covers(ObjectId packId) {
        return Arrays.binarySearch(packIds, packId) >= 0;
    }

    /** Number of objects. */
    int size() {
        return count;
    }

    /** Size of the file it was read from. */
    long fileBytes() {
        return fileBytes;
    }

    /** The position of {@code id} in id order, or -1 if absent. */
    int find(ObjectId id) {
        int b = id.firstByte();
        return SortedIds.search(entries, ENTRY_BYTES, b == 0 ? 0 : fanout[b - 1], fanout[b] - 1, id);
    }

    /** The pack number of the {@code i}-th entry. */
    int packNumberAt(int i) {
        return entries.getInt(i * ENTRY_BYTES + ObjectId.BYTES);
    }

    /** The {@code i}-th entry in id order, as its pack's index would describe it. */
    PackIndex.Entry entryAt(int i) {
        byte[] id = new byte[ObjectId.BYTES];
        entries.get(i * ENTRY_BYTES, id);
        return entryAt(i, ObjectId.fromBytes(id));
    }

    /** The i-th entry, whose id {@link #find} has just matched to {@code id} (not copied out again). */
    PackIndex.Entry entryAt(int i, ObjectId id) {
        int p = i * ENTRY_BYTES;
        ObjectKind kind;
        try {
            kind = ObjectKind.byCode(entries.get(p + 36) & 0xFF);
        } catch (CorruptObjectException e) {
            throw new IllegalStateException("multi-pack index: " + e.getMessage(), e); // verified at read
        }
        return new PackIndex.Entry(id, kind, entries.get(p + 37) & 0xFF,
                entries.getLong(p + 38), entries.getInt(p + 46), entries.getLong(p + 50));
    }

    /** Calls {@code sink} with the position of every entry whose id starts with {@code hexPrefix}. */
    void forEachWithPrefix(String hexPrefix, IntConsumer sink) {
        byte[] nibbles = SortedIds.nibbles(hexPrefix);
        int lo = 0;
        int hi = count;
        if (nibbles.length >= 1) {
            int firstLo = nibbles.length >= 2 ? nibbles[0] << 4 | nibbles[1] : nibbles[0] << 4;
            int firstHi = nibbles.length >= 2 ? firstLo : firstLo | 0xF;
            lo = firstLo == 0 ? 0 : fanout[firstLo - 1];
            hi = fanout[firstHi];
        }
        for (int i = lo; i < hi; i++) {
            if (SortedIds.startsWith(entries, i * ENTRY_BYTES, nibbles)) {
                sink.accept(i);
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes, atomically and durably, a multi-pack index covering every pack of {@code base}
     * (null: none) and every pack of {@code packs}. Entries are merged in one streaming pass per
     * table (the fan-out table is counted first); when an object is in several packs, the
     * location {@code base} has wins, then the one of the earliest of {@code packs}.
     *
     * @return the number of objects written
     */
    static int write(Path file, MultiPackIndex base, List<PackIndex> packs) throws IOException {
        return write(file, base, packs, true);
    }

    /** As {@link #write(Path, MultiPackIndex, List)}; without {@code durable}, nothing is fsynced (a scratch store's). */
    static int write(Path file, MultiPackIndex base, List<PackIndex> packs, boolean durable) throws IOException {
        TreeMap<ObjectId, Long> packTable = new TreeMap<>();
        if (base != null) {
            for (int n = 0; n < base.packCount(); n++) {
                packTable.put(base.packId(n), base.packLength(n));
            }
        }
        List<PackIndex> added = new ArrayList<>();
        for (PackIndex p : packs) {
            if (packTable.putIfAbsent(p.packId(), p.packLength()) == null) {
                added.add(p);
            }
        }
        ObjectId[] ids = packTable.keySet().toArray(new ObjectId[0]);

        List<Cursor> cursors = new ArrayList<>();
        if (base != null) {
            int[] remap = new int[base.packCount()];
            for (int n = 0; n < remap.length; n++) {
                remap[n] = Arrays.binarySearch(ids, base.packId(n));
            }
            cursors.add(new Cursor(base.entries.asReadOnlyBuffer(), ENTRY_BYTES, base.count, 0, remap, 0));
        }
        for (PackIndex p : added) {
            cursors.add(new Cursor(p.entryBuffer(), PackIndex.ENTRY_BYTES, p.size(), Arrays.binarySearch(ids, p.packId()),
                    null, cursors.size()));
        }

        // Pass 1: the fan-out table (and the object count) after removing repeats.
        int[] fan = new int[256];
        long total = merge(cursors, (c, pos) -> fan[c.buf.get(pos) & 0xFF]++);
        for (int b = 1; b < 256; b++) {
            fan[b] += fan[b - 1];
        }
        long bodyLength = 4 + (long) ids.length * PACK_BYTES + 4 + FANOUT_BYTES + total * ENTRY_BYTES;
        if (HEADER_BYTES + bodyLength + CRC_BYTES > MAX_FILE_BYTES) {
            throw new IOException(file + ": " + total + " objects are more than a multi-pack index can hold");
        }

        // Pass 2: the file.
        Path tmp = AtomicFile.tempSibling(file);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Out out = new Out(ch);
                out.need(HEADER_BYTES).put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(VERSION).putLong(bodyLength);
                out.need(4).putInt(ids.length);
                for (ObjectId id : ids) {
                    out.need(PACK_BYTES).put(id.toBytes()).putLong(packTable.get(id));
                }
                out.need(4).putInt((int) total);
                for (int f : fan) {
                    out.need(4).putInt(f);
                }
                long written = merge(cursors, (c, pos) -> {
                    ByteBuffer b = out.need(ENTRY_BYTES);
                    b.put(b.position(), c.buf, pos, ObjectId.BYTES);
                    b.position(b.position() + ObjectId.BYTES);
                    b.putInt(c.remap == null ? c.packNumber : c.remap[c.buf.getInt(pos + ObjectId.BYTES)]);
                    int tail = pos + c.entryBytes - TAIL_BYTES;
                    b.put(b.position(), c.buf, tail, TAIL_BYTES);
                    b.position(b.position() + TAIL_BYTES);
                });
                if (written != total) {
                    throw new IllegalStateException("multi-pack index: counted " + total + " objects, wrote " + written);
                }
                out.finish();
                if (durable) {
                    ch.force(true);
                }
            }
            AtomicFile.moveIntoPlace(tmp, file, durable);
        } catch (IOException e) {
            throw WriteErrors.naming(file, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return (int) total;
    }

    /** Receives each distinct entry of a merge: the cursor holding it and its position there. */
    private interface EntrySink {
        void accept(Cursor c, int pos) throws IOException;
    }

    /** A k-way merge of the cursors by id (ties: lower rank first), each id once; returns how many. */
    private static long merge(List<Cursor> cursors, EntrySink sink) throws IOException {
        PriorityQueue<Cursor> queue = new PriorityQueue<>(Math.max(1, cursors.size()), (a, b) -> {
            int c = SortedIds.compare(a.buf, a.pos(), b.buf, b.pos());
            return c != 0 ? c : Integer.compare(a.rank, b.rank);
        });
        for (Cursor c : cursors) {
            c.i = 0;
            if (c.count > 0) {
                queue.add(c);
            }
        }
        long n = 0;
        Cursor last = null;
        int lastPos = 0;
        while (!queue.isEmpty()) {
            Cursor c = queue.poll();
            int pos = c.pos();
            if (last == null || SortedIds.compare(last.buf, lastPos, c.buf, pos) != 0) {
                sink.accept(c, pos);
                n++;
                last = c;
                lastPos = pos;
            }
            if (++c.i < c.count) {
                queue.add(c);
            }
        }
        return n;
    }

    /** A position in one sorted source of entries: the old multi-pack index or one pack index. */
    private static final class Cursor {
        final ByteBuffer buf;
        final int entryBytes;
        final int count;
        final int packNumber;
        final int[] remap;
        final int rank;
        int i;

        Cursor(ByteBuffer buf, int entryBytes, int count, int packNumber, int[] remap, int rank) {
            this.buf = buf;
            this.entryBytes = entryBytes;
            this.count = count;
            this.packNumber = packNumber;
            this.remap = remap;
            this.rank = rank;
        }

        int pos() {
            return i * entryBytes;
        }
    }

    /** A buffered, checksummed channel writer; the CRC goes last and covers every byte before it. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(WRITE_BUFFER);
        private final CRC32C crc = new CRC32C();

        Out(FileChannel ch) {
            this.ch = ch;
        }

        /** The buffer, with room for {@code n} more bytes. */
        ByteBuffer need(int n) throws IOException {
            if (buf.remaining() < n) {
                drain();
            }
            return buf;
        }

        void finish() throws IOException {
            drain();
            buf.putInt((int) crc.getValue());
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }

        private void drain() throws IOException {
            crc.update(buf.array(), 0, buf.position());
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }
    }
}
