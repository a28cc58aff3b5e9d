package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.AtomicFile;
import dev.coral.io.FailureWords;
import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The packs folder seen file by file, for {@code coral fsck} and {@code coral gc}: lists packs,
 * verifies a pack against its index byte by byte (header, every entry's head and CRC, trailer,
 * whole-pack CRC), verifies the multi-pack index against the pack indexes, rebuilds either index
 * from what it describes, and deletes packs. Works on the files alone, without an
 * {@link ObjectStore}, so it still answers when the store cannot open. Stateless; every method
 * may run while other processes read and write the folder.
 */
public final class PackVerifier {
    private static final int CRC_BUFFER = 1 << 20;

    private PackVerifier() {
    }

    /** A pack id named in the folder, and which of its two files are there. */
    public record PackName(ObjectId id, Path pack, Path index, boolean hasPack, boolean hasIndex) {
    }

    /**
     * One entry of a pack as read from the pack itself; {@code intact} when its head and CRC verify.
     * {@code chunkCodec}: for an intact chunk frame or delta, the id its chunk frame declares
     * ({@code dev.coral.codec.ChunkCodec}), else -1.
     */
    public record Entry(ObjectId id, ObjectKind kind, int codec, long offset, int storedLength, long rawLength,
                        ObjectId deltaBase, int chunkCodec, boolean intact) {
    }

    /**
     * One thing wrong with a file. {@code offset} is -1 when the file as a whole is at fault;
     * {@code object} and {@code kind} name the entry concerned, or are null. A warning is a
     * state the store tolerates (a stale multi-pack index), not damage.
     */
    public record Problem(Path file, long offset, ObjectId object, ObjectKind kind, String message, boolean warning) {
        static Problem error(Path file, long offset, ObjectId object, ObjectKind kind, String message) {
            return new Problem(file, offset, object, kind, message, false);
        }

        static Problem error(Path file, String message) {
            return new Problem(file, -1, null, null, message, false);
        }
    }

    /**
     * What verifying one pack found: its entries (from its index when readable, else parsed from
     * the pack), whether the index was readable, and the problems.
     */
    public record Result(ObjectId packId, Path pack, Path index, long packBytes, boolean indexReadable,
                         List<Entry> entries, List<Problem> problems) {
    }

    /** Every pack id for which a {@code pack-HEX.pack} or {@code pack-HEX.idx} is in the folder, sorted. */
    public static List<PackName> list(Path packsDir) throws IOException {
        TreeMap<ObjectId, boolean[]> seen = new TreeMap<>();
        if (!Files.isDirectory(packsDir)) {
            return List.of();
        }
        try (var s = Files.list(packsDir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                boolean pack = name.endsWith(PackLayout.PACK_SUFFIX);
                boolean idx = name.endsWith(PackLayout.INDEX_SUFFIX);
                int len = PackLayout.PREFIX.length() + 2 * ObjectId.BYTES + (pack ? PackLayout.PACK_SUFFIX.length() : PackLayout.INDEX_SUFFIX.length());
                if ((pack || idx) && name.startsWith(PackLayout.PREFIX) && name.length() == len) {
                    ObjectId id = ObjectId.parseHexOrNull(name, PackLayout.PREFIX.length());
                    if (id != null) {
                        seen.computeIfAbsent(id, k -> new boolean[2])[pack ? 0 : 1] = true;
                    }
                }
            }
        }
        List<PackName> out = new ArrayList<>();
        seen.forEach((id, has) -> out.add(new PackName(id, packsDir.resolve(PackLayout.packFileName(id)),
                packsDir.resolve(PackLayout.indexFileName(id)), has[0], has[1])));
        return out;
    }

    /** The multi-pack index file of a packs folder (it may not exist). */
    public static Path multiPackIndexFile(Path packsDir) {
        return packsDir.resolve(MultiPackIndex.FILE_NAME);
    }

    /** Reads and verifies a pack's own index. */
    public static PackIndex readIndex(Path packsDir, ObjectId packId) throws IOException {
        Path idx = packsDir.resolve(PackLayout.indexFileName(packId));
        PackIndex index = PackIndex.read(idx);
        if (!index.packId().equals(packId)) {
            throw new CorruptObjectException(idx + ": names pack " + index.packId().hex());
        }
        return index;
    }

    /** The delta base of a stored chunk, or null when it is not stored as a delta (reads 37 bytes, no CRC). */
    public static ObjectId deltaBase(ObjectStore store, ObjectId chunk) throws IOException {
        return ChunkChainReader.position(store.require(chunk)).base();
    }

    // ---------------------------------------------------------------- verifying a pack

    /** Verifies pack {@code packId} and its index; never throws for damage, only reports it. */
    public static Result verify(Path packsDir, ObjectId packId) throws IOException {
        Path packFile = packsDir.resolve(PackLayout.packFileName(packId));
        Path idxFile = packsDir.resolve(PackLayout.indexFileName(packId));
        List<Problem> problems = new ArrayList<>();
        PackIndex index = null;
        if (Files.exists(idxFile)) {
            try {
                index = readIndex(packsDir, packId);
            } catch (NoSuchFileException e) {
                index = null; // deleted meanwhile
            } catch (IOException | RuntimeException e) {
                problems.add(Problem.error(idxFile, strip(e.getMessage(), idxFile)));
            }
        }
        if (!Files.exists(packFile)) {
            List<Entry> entries = new ArrayList<>();
            if (index != null) {
                for (int i = 0; i < index.size(); i++) {
                    PackIndex.Entry e = index.entryAt(i);
                    entries.add(new Entry(e.id(), e.kind(), e.codec(), e.offset(), e.storedLength(), e.rawLength(), null, -1, false));
                }
            }
            problems.add(Problem.error(idxFile, "its pack " + packFile.getFileName() + " is missing"));
            return new Result(packId, packFile, idxFile, 0, index != null, entries, problems);
        }
        try (FileChannel ch = FileChannel.open(packFile, StandardOpenOption.READ)) {
            long size = ch.size();
            int before = problems.size();
            boolean frameOk = checkFrame(ch, size, packFile, problems);
            List<Entry> entries;
            if (index != null) {
                if (index.packLength() != size) {
                    problems.add(Problem.error(packFile, size + " bytes, its index says " + index.packLength()));
                }
                entries = verifyIndexed(ch, size, packFile, index, problems);
                if (frameOk) {
                    int count = readInt(ch, size - 8);
                    if (count != index.size()) {
                        problems.add(Problem.error(packFile, size - 8, null, null,
                                "trailer counts " + count + " entries, its index " + index.size()));
                    }
                }
            } else {
                entries = scan(ch, size, packFile, problems);
            }
            boolean explained = problems.size() > before;
            if (size >= PackLayout.HEADER_BYTES + PackLayout.TRAILER_BYTES && !packCrcMatches(ch, size) && !explained) {
                problems.add(Problem.error(packFile, size - 4, null, null,
                        "pack checksum mismatch (every entry verifies: no object is affected)"));
            }
            return new Result(packId, packFile, idxFile, size, index != null, entries, problems);
        }
    }

    /** Checks header and trailer magic; false when the pack is too short to have both. */
    private static boolean checkFrame(FileChannel ch, long size, Path packFile, List<Problem> problems) throws IOException {
        if (size < PackLayout.HEADER_BYTES + PackLayout.TRAILER_BYTES) {
            problems.add(Problem.error(packFile, "truncated (" + size + " bytes)"));
            return false;
        }
        ByteBuffer head = read(ch, 0, PackLayout.HEADER_BYTES);
        byte[] magic = PackLayout.MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(head.array(), 0, magic.length, magic, 0, magic.length)) {
            problems.add(Problem.error(packFile, 0, null, null, "bad header (not a " + PackLayout.MAGIC + " file)"));
        } else if (head.getInt(8) != PackLayout.VERSION) {
            problems.add(Problem.error(packFile, 8, null, null, "pack format version " + head.getInt(8) + " not supported"));
        }
        ByteBuffer tail = read(ch, size - PackLayout.TRAILER_BYTES, 8);
        byte[] end = PackLayout.TRAILER_MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(tail.array(), end)) {
            problems.add(Problem.error(packFile, size - PackLayout.TRAILER_BYTES, null, null, "trailer damaged (no " + PackLayout.TRAILER_MAGIC + ")"));
            return false;
        }
        return true;
    }

    /** Reads every entry the index lists, in pack order, checking head and CRC. */
    private static List<Entry> verifyIndexed(FileChannel ch, long size, Path packFile, PackIndex index, List<Problem> problems)
            throws IOException {
        List<PackIndex.Entry> byOffset = new ArrayList<>(index.size());
        for (int i = 0; i < index.size(); i++) {
            byOffset.add(index.entryAt(i));
        }
        byOffset.sort(Comparator.comparingLong(PackIndex.Entry::offset));
        List<Entry> out = new ArrayList<>(byOffset.size());
        BaseBuffer buffer = new BaseBuffer();
        for (PackIndex.Entry e : byOffset) {
            String what = "entry at offset " + e.offset() + " (" + name(e.kind(), e.id()) + ")";
            long total = (long) PackLayout.ENTRY_HEAD_BYTES + e.storedLength() + PackLayout.ENTRY_CRC_BYTES;
            if (e.storedLength() < 0 || e.offset() < PackLayout.HEADER_BYTES || e.offset() + total > size - PackLayout.TRAILER_BYTES) {
                problems.add(Problem.error(packFile, e.offset(), e.id(), e.kind(), what + " lies outside the pack"));
                out.add(new Entry(e.id(), e.kind(), e.codec(), e.offset(), e.storedLength(), e.rawLength(), null, -1, false));
                continue;
            }
            ByteBuffer b = read(ch, e.offset(), (int) total, buffer);
            String problem = null;
            if (!crcMatches(b, (int) total)) {
                problem = what + " checksum mismatch";
            } else if ((b.get(0) & 0xFF) != e.kind().code() || (b.get(1) & 0xFF) != e.codec()
                    || !ObjectId.fromBytes(b.array(), 2).equals(e.id())
                    || b.getLong(2 + ObjectId.BYTES) != e.rawLength() || b.getInt(2 + ObjectId.BYTES + 8) != e.storedLength()) {
                problem = what + " does not match the pack index";
            }
            if (problem != null) {
                problems.add(Problem.error(packFile, e.offset(), e.id(), e.kind(), problem));
            }
            ObjectId base = problem == null ? baseOf(b, e.codec(), e.storedLength()) : null;
            int chunkCodec = problem == null ? chunkCodecOf(b, e.codec(), e.storedLength()) : -1;
            out.add(new Entry(e.id(), e.kind(), e.codec(), e.offset(), e.storedLength(), e.rawLength(), base, chunkCodec, problem == null));
        }
        return out;
    }

    /**
     * Parses the pack from its first entry on, without an index. Stops at the first entry whose
     * length cannot be trusted (it would run past the trailer); an entry failing its CRC is kept
     * (as not intact) and the walk goes on, since its length field may well be sound.
     */
    private static List<Entry> scan(FileChannel ch, long size, Path packFile, List<Problem> problems) throws IOException {
        List<Entry> out = new ArrayList<>();
        BaseBuffer buffer = new BaseBuffer();
        long end = size - PackLayout.TRAILER_BYTES;
        long pos = PackLayout.HEADER_BYTES;
        while (pos < end) {
            if (pos + PackLayout.ENTRY_HEAD_BYTES + PackLayout.ENTRY_CRC_BYTES > end) {
                problems.add(Problem.error(packFile, pos, null, null, "entry at offset " + pos + " runs past the trailer"));
                break;
            }
            ByteBuffer head = read(ch, pos, PackLayout.ENTRY_HEAD_BYTES);
            int stored = head.getInt(2 + ObjectId.BYTES + 8);
            long total = (long) PackLayout.ENTRY_HEAD_BYTES + stored + PackLayout.ENTRY_CRC_BYTES;
            ObjectId id = ObjectId.fromBytes(head.array(), 2);
            int kindCode = head.get(0) & 0xFF;
            ObjectKind kind = ObjectKind.isCode(kindCode) ? ObjectKind.byCode(kindCode) : null;
            String what = "entry at offset " + pos + " (" + name(kind, id) + ")";
            if (stored < 0 || pos + total > end) {
                problems.add(Problem.error(packFile, pos, id, kind, what + " runs past the trailer"));
                break;
            }
            ByteBuffer b = read(ch, pos, (int) total, buffer);
            int codec = b.get(1) & 0xFF;
            long raw = b.getLong(2 + ObjectId.BYTES);
            boolean intact = crcMatches(b, (int) total) && kind != null;
            if (!intact) {
                problems.add(Problem.error(packFile, pos, id, kind, what + (kind == null ? " has an unknown kind" : " checksum mismatch")));
            }
            out.add(new Entry(id, kind, codec, pos, stored, raw, intact ? baseOf(b, codec, stored) : null,
                    intact ? chunkCodecOf(b, codec, stored) : -1, intact));
            pos += total;
        }
        return out;
    }

    private static ObjectId baseOf(ByteBuffer entry, int codec, int storedLength) {
        if (codec != StoredForm.DELTA.code || storedLength < StoredForm.DELTA_PREFIX_BYTES) {
            return null;
        }
        return ObjectId.fromBytes(entry.array(), PackLayout.ENTRY_HEAD_BYTES);
    }

    /** The chunk codec id a chunk frame or delta entry's frame declares, or -1 (another form, or too short to say). */
    private static int chunkCodecOf(ByteBuffer entry, int codec, int storedLength) {
        int at = codec == StoredForm.FRAME.code ? 0 : codec == StoredForm.DELTA.code ? StoredForm.DELTA_PREFIX_BYTES : -1;
        return at < 0 || storedLength <= at ? -1 : entry.get(PackLayout.ENTRY_HEAD_BYTES + at) & 0xFF;
    }

    private static boolean crcMatches(ByteBuffer b, int total) {
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, total - PackLayout.ENTRY_CRC_BYTES);
        return (int) crc.getValue() == b.getInt(total - PackLayout.ENTRY_CRC_BYTES);
    }

    private static boolean packCrcMatches(FileChannel ch, long size) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(CRC_BUFFER);
        long pos = 0;
        long end = size - 4;
        while (pos < end) {
            buf.clear().limit((int) Math.min(CRC_BUFFER, end - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                return false;
            }
            crc.update(buf.array(), 0, n);
            pos += n;
        }
        return (int) crc.getValue() == readInt(ch, end);
    }

    private static ByteBuffer read(FileChannel ch, long pos, int n) throws IOException {
        return fill(ch, pos, ByteBuffer.allocate(n));
    }

    /**
     * As {@link #read(FileChannel, long, int)}, into {@code into}'s array (from index 0), reused
     * from entry to entry: a fresh array per entry is zeroed first, and most chunks' are G1
     * humongous allocations.
     */
    private static ByteBuffer read(FileChannel ch, long pos, int n, BaseBuffer into) throws IOException {
        return fill(ch, pos, ByteBuffer.wrap(into.ofAtLeast(n), 0, n));
    }

    private static ByteBuffer fill(FileChannel ch, long pos, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new CorruptObjectException("pack ends early at " + (pos + b.position()));
            }
        }
        return b;
    }

    private static int readInt(FileChannel ch, long pos) throws IOException {
        return read(ch, pos, 4).getInt(0);
    }

    private static String name(ObjectKind kind, ObjectId id) {
        return (kind == null ? "object" : kind.name().toLowerCase()) + " " + id.abbreviate(12);
    }

    /** The message without a leading "{@code file}: ", since callers print the file themselves. */
    public static String strip(String message, Path file) {
        if (message == null) {
            return "unreadable";
        }
        for (String prefix : new String[] {file.toString() + ": ", file.toAbsolutePath() + ": "}) {
            if (message.startsWith(prefix)) {
                return message.substring(prefix.length());
            }
        }
        return message;
    }

    // ---------------------------------------------------------------- the multi-pack index

    /**
     * Verifies {@code packs/multi-pack-index} (if present) against the packs verified: its
     * checksum and structure, that each pack it names is there with the length it records
     * (otherwise it is stale: a warning, the store ignores it), and that each object it locates
     * is where the pack's own index says.
     */
    public static List<Problem> verifyMultiPackIndex(Path packsDir, Map<ObjectId, Result> packs) {
        Path file = multiPackIndexFile(packsDir);
        List<Problem> problems = new ArrayList<>();
        if (!Files.exists(file)) {
            return problems;
        }
        MultiPackIndex mpx;
        try {
            mpx = MultiPackIndex.read(file);
        } catch (IOException | RuntimeException e) {
            problems.add(new Problem(file, -1, null, null, strip(e.getMessage(), file) + ": it is ignored (derived data: the pack "
                    + "indexes answer instead); the next commit or 'coral fsck --rebuild-index' rewrites it", true));
            return problems;
        }
        for (int n = 0; n < mpx.packCount(); n++) {
            ObjectId id = mpx.packId(n);
            Result r = packs.get(id);
            if (r == null || r.packBytes() == 0) {
                boolean unindexed = r == null && Files.exists(packsDir.resolve(PackLayout.packFileName(id)));
                problems.add(new Problem(file, -1, null, null, "names pack " + PackLayout.packFileName(id)
                        + (unindexed ? ", whose index is gone" : ", which is gone")
                        + ": it is stale and ignored (run 'coral fsck --rebuild-index')", true));
                return problems;
            }
            if (r.packBytes() != mpx.packLength(n)) {
                problems.add(Problem.error(file, "records " + mpx.packLength(n) + " bytes for " + r.pack().getFileName()
                        + ", which has " + r.packBytes()));
            }
        }
        Map<ObjectId, Map<ObjectId, Entry>> own = new HashMap<>();
        for (int n = 0; n < mpx.packCount(); n++) {
            Result r = packs.get(mpx.packId(n));
            if (!r.indexReadable()) {
                continue;
            }
            Map<ObjectId, Entry> byId = new HashMap<>();
            r.entries().forEach(e -> byId.put(e.id(), e));
            own.put(r.packId(), byId);
            for (Entry e : r.entries()) {
                if (mpx.find(e.id()) < 0) {
                    problems.add(Problem.error(file, -1, e.id(), e.kind(), "does not list " + name(e.kind(), e.id())
                            + " of " + r.pack().getFileName()));
                    return problems;
                }
            }
        }
        for (int i = 0; i < mpx.size(); i++) {
            PackIndex.Entry m = mpx.entryAt(i);
            ObjectId packId = mpx.packId(mpx.packNumberAt(i));
            Map<ObjectId, Entry> byId = own.get(packId);
            if (byId == null) {
                continue;
            }
            Entry e = byId.get(m.id());
            if (e == null || e.offset() != m.offset() || e.storedLength() != m.storedLength()
                    || e.rawLength() != m.rawLength() || e.kind() != m.kind() || e.codec() != m.codec()) {
                problems.add(Problem.error(file, -1, m.id(), m.kind(), "locates " + name(m.kind(), m.id())
                        + " where " + PackLayout.indexFileName(packId) + " does not"));
                return problems;
            }
        }
        return problems;
    }

    /** A change to the packs folder: packs merged, rewritten or deleted. */
    @FunctionalInterface
    public interface PackChange {
        void run() throws IOException;
    }

    /**
     * Runs {@code change}, then {@linkplain #rebuildMultiPackIndex rewrites the multi-pack index},
     * also when the change failed half-way: the index must not go on naming packs it deleted (the
     * store would ignore it as stale, and read every pack index).
     */
    public static void changeThenRebuildMultiPackIndex(Path packsDir, Path locksDir, PackChange change) throws IOException {
        try {
            change.run();
        } catch (IOException | RuntimeException e) {
            try {
                rebuildMultiPackIndex(packsDir, locksDir);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        rebuildMultiPackIndex(packsDir, locksDir);
    }

    /**
     * Rewrites the multi-pack index from scratch to cover every pack whose index and pack are in
     * place and agree on the pack's length, under the {@code multi-pack-index} lock; deletes it
     * when there is no such pack. Returns the number of objects it covers.
     */
    public static int rebuildMultiPackIndex(Path packsDir, Path locksDir) throws IOException {
        try (RepositoryLock.Held held = new RepositoryLock(locksDir, MultiPackIndex.LOCK_NAME).lock()) {
            List<PackIndex> indexes = new ArrayList<>();
            for (PackName p : list(packsDir)) {
                if (!p.hasPack() || !p.hasIndex()) {
                    continue;
                }
                try {
                    PackIndex idx = readIndex(packsDir, p.id());
                    if (Files.size(p.pack()) == idx.packLength()) {
                        indexes.add(idx);
                    }
                } catch (IOException e) {
                    // a damaged or vanished index: fsck reports it; the store reads the others
                }
            }
            Path file = multiPackIndexFile(packsDir);
            if (indexes.isEmpty()) {
                Files.deleteIfExists(file);
                AtomicFile.fsyncDirectory(packsDir);
                return 0;
            }
            return MultiPackIndex.write(file, null, indexes);
        }
    }

    /**
     * Rewrites pack {@code packId}'s index from the pack, if every entry of the pack verifies,
     * the whole-pack checksum matches, and the objects hash to the pack's name. Returns whether
     * it was written.
     */
    public static boolean rebuildIndex(Path packsDir, ObjectId packId) throws IOException {
        Path packFile = packsDir.resolve(PackLayout.packFileName(packId));
        List<Problem> problems = new ArrayList<>();
        List<Entry> entries;
        long size;
        int packCrc;
        try (FileChannel ch = FileChannel.open(packFile, StandardOpenOption.READ)) {
            size = ch.size();
            if (!checkFrame(ch, size, packFile, problems) || !packCrcMatches(ch, size)) {
                return false;
            }
            entries = scan(ch, size, packFile, problems);
            if (!problems.isEmpty() || entries.size() != readInt(ch, size - 8)) {
                return false;
            }
            packCrc = readInt(ch, size - 4);
        }
        TreeMap<ObjectId, PackIndex.Entry> sorted = new TreeMap<>();
        for (Entry e : entries) {
            sorted.putIfAbsent(e.id(), new PackIndex.Entry(e.id(), e.kind(), e.codec(), e.offset(), e.storedLength(), e.rawLength()));
        }
        List<ObjectId> ids = new ArrayList<>(sorted.keySet());
        if (!PackLayout.idOf(ids, packCrc).equals(packId) && !PackLayout.legacyIdOf(ids).equals(packId)) {
            return false;
        }
        AtomicFile.write(packsDir.resolve(PackLayout.indexFileName(packId)),
                PackIndex.encode(packId, size, new ArrayList<>(sorted.values())));
        return true;
    }

    // ---------------------------------------------------------------- deleting

    /**
     * Deletes packs, each index first, then its pack (so a pack is never listed without its
     * objects), and makes the deletions durable with one fsync of the folder; files already gone
     * are skipped. A file that cannot be deleted (a folder in its place, a read-only folder) does
     * not stop the others: a pack whose index stays is kept whole, and once every other pack is
     * done the first failure is thrown, naming its file. Returns the bytes freed.
     */
    public static long deletePacks(Path packsDir, Collection<ObjectId> packIds) throws IOException {
        long freed = 0;
        IOException first = null;
        Path firstFile = null;
        int failed = 0;
        for (ObjectId packId : packIds) {
            for (Path p : List.of(packsDir.resolve(PackLayout.indexFileName(packId)), packsDir.resolve(PackLayout.packFileName(packId)))) {
                try {
                    long n = Files.size(p);
                    FaultPoints.hit("pack.delete");
                    Files.delete(p);
                    freed += n;
                } catch (NoSuchFileException e) {
                    // already gone
                } catch (IOException e) {
                    if (failed++ == 0) {
                        first = e;
                        firstFile = p;
                    }
                    break; // an index that stays keeps its pack
                }
            }
        }
        if (!packIds.isEmpty()) {
            AtomicFile.fsyncDirectory(packsDir);
        }
        if (first != null) {
            String why = Files.isDirectory(firstFile, LinkOption.NOFOLLOW_LINKS) ? "a folder is in its place"
                    : FailureWords.reason(first);
            throw new IOException("cannot delete " + firstFile + ": " + why
                    + (failed > 1 ? " (nor " + (failed - 1) + " more pack files)" : ""), first);
        }
        return freed;
    }
}
