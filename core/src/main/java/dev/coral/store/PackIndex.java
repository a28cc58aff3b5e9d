package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.BinaryReader;
import dev.coral.io.ChecksummedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What one pack holds, sorted by id for binary search; immutable and thread-safe.
 *
 * <pre>
 * Index (ChecksummedFile "CORALIDX" v1) body --&gt; PackId[32], PackLength u64, Count u32,
 *                                          Fanout u32^256, Entry^Count
 * Entry --&gt; Id[32], Kind u8, Codec u8, Offset u64, StoredLength u32, RawLength u64
 * </pre>
 * Fanout[b] is the number of entries whose first id byte is ≤ b.
 */
public final class PackIndex {
    static final String MAGIC = "CORALIDX";
    static final int VERSION = 1;
    static final int ENTRY_BYTES = ObjectId.BYTES + 1 + 1 + 8 + 4 + 8;
    private static final int FANOUT_BYTES = 256 * 4;
    /**
     * Fewest entries for which the fan-out table is kept in memory. A store keeps the index of
     * each pack it writes or reads until the multi-pack index covers it, and a training loop
     * writes a pack (or two) of a few objects per commit: the table (1 KB as ints) and the file's
     * bytes around the entries (1 KB more) were two thirds of the heap each pack kept (measured:
     * 3.4 KB per pack, 11 MB over 1,000 stage+commit steps, when every index was kept). A small
     * pack's entries are binary-searched whole instead.
     */
    static final int FANOUT_MIN_ENTRIES = 64;

    private final ObjectId packId;
    private final long packLength;
    private final int count;
    private final int[] fanout;
    private final ByteBuffer entries;

    private PackIndex(ObjectId packId, long packLength, int count, int[] fanout, ByteBuffer entries) {
        this.packId = packId;
        this.packLength = packLength;
        this.count = count;
        this.fanout = fanout;
        this.entries = entries;
    }

    /** One object of the pack, as the index describes it. */
    public record Entry(ObjectId id, ObjectKind kind, int codec, long offset, int storedLength, long rawLength) {
    }

    static byte[] encode(ObjectId packId, long packLength, List<Entry> sorted) {
        int[] fan = new int[256];
        for (Entry e : sorted) {
            fan[e.id().firstByte()]++;
        }
        for (int i = 1; i < 256; i++) {
            fan[i] += fan[i - 1];
        }
        ByteBuffer b = ByteBuffer.allocate(ObjectId.BYTES + 8 + 4 + FANOUT_BYTES + sorted.size() * ENTRY_BYTES);
        b.put(packId.toBytes()).putLong(packLength).putInt(sorted.size());
        for (int f : fan) {
            b.putInt(f);
        }
        for (Entry e : sorted) {
            b.put(e.id().toBytes()).put((byte) e.kind().code()).put((byte) e.codec())
                    .putLong(e.offset()).putInt(e.storedLength()).putLong(e.rawLength());
        }
        return ChecksummedFile.encode(MAGIC, VERSION, b.array());
    }

    static PackIndex read(Path file) throws IOException {
        byte[] body = ChecksummedFile.read(file, MAGIC, VERSION, VERSION).bytes();
        String name = file.toString();
        BinaryReader r = new BinaryReader(body, name);
        ObjectId packId = ObjectId.fromBytes(r.bytes(ObjectId.BYTES));
        long packLength = r.i64();
        ByteBuffer head = ByteBuffer.wrap(r.bytes(4 + FANOUT_BYTES));
        int count = head.getInt();
        int[] fan = new int[256];
        for (int i = 0; i < 256; i++) {
            fan[i] = head.getInt();
            if (fan[i] < (i == 0 ? 0 : fan[i - 1]) || fan[i] > count) {
                throw new CorruptObjectException(name + ": fan-out table is not monotonic");
            }
        }
        if (fan[255] != count || (long) count * ENTRY_BYTES != body.length - (ObjectId.BYTES + 8 + 4 + FANOUT_BYTES)) {
            throw new CorruptObjectException(name + ": entry count " + count + " does not match its size");
        }
        int at = ObjectId.BYTES + 8 + 4 + FANOUT_BYTES;
        // a small pack's entries are copied out of the file's bytes, whose fan-out they no longer hold on to
        ByteBuffer entries = count < FANOUT_MIN_ENTRIES
                ? ByteBuffer.wrap(Arrays.copyOfRange(body, at, at + count * ENTRY_BYTES))
                : ByteBuffer.wrap(body, at, count * ENTRY_BYTES).slice();
        byte[] prev = null;
        for (int i = 0; i < count; i++) {
            byte[] id = new byte[ObjectId.BYTES];
            entries.get(i * ENTRY_BYTES, id);
            ObjectKind.byCode(entries.get(i * ENTRY_BYTES + 32) & 0xFF);
            long offset = entries.getLong(i * ENTRY_BYTES + 34);
            if (prev != null && Arrays.compareUnsigned(prev, id) >= 0 || offset < 0 || offset >= packLength) {
                throw new CorruptObjectException(name + ": entry " + i + " is out of order or out of the pack");
            }
            prev = id;
        }
        return new PackIndex(packId, packLength, count, count < FANOUT_MIN_ENTRIES ? null : fan, entries);
    }

    public ObjectId packId() {
        return packId;
    }

    public long packLength() {
        return packLength;
    }

    public int size() {
        return count;
    }

    /** The entry for {@code id}, or null. */
    public Entry find(ObjectId id) {
        int i;
        if (fanout == null) {
            i = SortedIds.search(entries, ENTRY_BYTES, 0, count - 1, id);
        } else {
            int b = id.firstByte();
            i = SortedIds.search(entries, ENTRY_BYTES, b == 0 ? 0 : fanout[b - 1], fanout[b] - 1, id);
        }
        return i < 0 ? null : entryAt(i, id);
    }

    /**
     * The entries, {@link #ENTRY_BYTES} each in id order, as a read-only big-endian buffer of
     * its own (for the multi-pack index writer).
     */
    ByteBuffer entryBuffer() {
        return entries.asReadOnlyBuffer();
    }

    /** The i-th entry in id order. */
    public Entry entryAt(int i) {
        byte[] idBytes = new byte[ObjectId.BYTES];
        entries.get(i * ENTRY_BYTES, idBytes);
        return entryAt(i, ObjectId.fromBytes(idBytes));
    }

    /**
     * The i-th entry, whose id a search has just matched to {@code id}: not copied out of the
     * index again (the bulk get copied it a byte at a time; a look-up's copy was 8% of the main
     * thread of an add of 50,000 small tensors, JFR).
     */
    private Entry entryAt(int i, ObjectId id) {
        int p = i * ENTRY_BYTES;
        ObjectKind kind;
        try {
            kind = ObjectKind.byCode(entries.get(p + 32) & 0xFF);
        } catch (CorruptObjectException e) {
            throw new IllegalStateException("pack index of " + packId.hex() + ": " + e.getMessage(), e);
        }
        return new Entry(id, kind, entries.get(p + 33) & 0xFF,
                entries.getLong(p + 34), entries.getInt(p + 42), entries.getLong(p + 46));
    }
}
