package dev.coral.repo;

import dev.coral.error.BadInputException;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.io.FaultPoints;
import dev.coral.io.OverlappedTask;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Stores one weight file: hashes it whole (for byte-identical checkout and status), lets its
 * format parse and validate it, stores every tensor and the file entry. Not thread-safe.
 */
public final class FileIngest {
    private final ObjectInserter inserter;
    private final ChunkSink sink;
    private final TensorIngest tensors;

    public FileIngest(ObjectInserter inserter, int chunkBytes) {
        this(inserter, inserter.newChunkSink(1), chunkBytes);
    }

    /** Chunks go through {@code sink} (e.g. a parallel pipeline); the caller closes it. */
    public FileIngest(ObjectInserter inserter, ChunkSink sink, int chunkBytes) {
        this.inserter = inserter;
        this.sink = sink;
        this.tensors = new TensorIngest(inserter, sink, chunkBytes);
    }

    /**
     * A stored file: its entry's id, what the working file looked like, the entry (null when
     * it was not made here: a lossy commit's, which may be the previous version's), and the
     * datasets its format kept as bytes instead of tensors ({@link ParsedWeightFile#keptAsBytes}).
     */
    public record Ingested(ObjectId entryId, FileStat stat, FileEntry entry, List<String> keptAsBytes) {
    }

    /** The id of a file entry stored, and the entry when it was made here (else null). */
    private record Stored(ObjectId id, FileEntry entry) {
    }

    public Ingested ingest(Path file, WeightFileFormat format) throws IOException {
        return ingest(file, format, DeltaBases.NONE);
    }

    /** Stores {@code file}, delta-encoding its tensors against {@code bases} where they match. */
    public Ingested ingest(Path file, WeightFileFormat format, DeltaBases bases) throws IOException {
        return ingest(file, format, bases, null);
    }

    /**
     * As {@link #ingest(Path, WeightFileFormat, DeltaBases)}; a tensor with no previous version
     * looks for a similar stored tensor in {@code similar} (may be null) and is indexed there.
     */
    public Ingested ingest(Path file, WeightFileFormat format, DeltaBases bases, SimilarBases similar) throws IOException {
        return ingest(file, format, similar, (parsed, hashing) -> {
            parsed.prepareRestoreInfo();
            List<FileEntry.NamedTensor> named = tensors.storeAll(parsed.tensors(), file.toString(), bases, similar);
            FileStat stat = hashing.result();
            FileEntry entry = new FileEntry(format.name(), stat.size(), stat.sha256(), stat.crc32c(), parsed.restoreInfo(), parsed.metadata(),
                    named);
            return new Stored(ObjectGraph.write(inserter, entry), entry);
        });
    }

    /**
     * Stores {@code file} as the lossy version of {@code previous} (the file's entry in the parent
     * commit) for {@code commit --lossy=eps} ({@link LossyRewrite#entryFor}): its float tensors are
     * quantized as they are read, so no lossless copy of them is stored. When the file is the one
     * {@code previous} records (same SHA-256), the result is {@code previous} itself, as a lossy
     * commit leaves unchanged files as they were.
     */
    public Ingested ingestLossy(Path file, WeightFileFormat format, LossyRewrite lossy, ObjectId previous, String eps,
                                SimilarBases similar) throws IOException {
        return ingest(file, format, similar, (parsed, hashing) -> {
            LossyRewrite.Stored stored = lossy.storeTensors(parsed.tensors(), previous, eps, file.toString(), similar);
            // quantized values restore through the restore info for other values: no need to make the exact one
            byte[] restoreInfo = stored.quantized() > 0 ? parsed.restoreInfoForOtherValues() : parsed.restoreInfo();
            return new Stored(lossy.entryFor(previous, hashing.result().sha256(), format.name(), restoreInfo, parsed.metadata(),
                    stored, eps, file.toString()), null);
        });
    }

    /** How a parsed file's tensors and its entry are stored; {@code hashing} gives the file's stat. */
    private interface Storing {
        Stored store(ParsedWeightFile parsed, OverlappedTask<FileStat> hashing) throws IOException;
    }

    /**
     * How many times a file is read when another file is renamed over it (as a training loop
     * writes a checkpoint) while the read opens it: the window is the format's parse of the
     * headers, so a loop must replace the file in three such windows running for the command to
     * give up. A replacement after that does not make it read again ({@link #ingest}).
     */
    static final int READS_OF_A_REPLACED_FILE = 3;

    /**
     * Lets {@code file}'s format parse it and {@code storing} store it, hashing it whole meanwhile
     * (on a thread of its own from {@link #HASH_ASIDE_BYTES}), every read through descriptors opened while
     * the path held one file, unchanged: so a file replaced after that (another file renamed over
     * it) is stored as it was when opened, the version the command found, and its replacement is
     * a change not staged, as git reads a file through the descriptor it opened. A file replaced
     * while the descriptors were opened is read again, the tensors the read given up indexed in
     * {@code similar} (may be null) taken out again; its objects are left for gc. A file changed in
     * place meanwhile is refused, as is one whose format found it malformed while it changed (a
     * torn read): a writer is still at it.
     */
    private Ingested ingest(Path file, WeightFileFormat format, SimilarBases similar, Storing storing) throws IOException {
        for (int read = 1; ; read++) {
            int mark = similar == null ? 0 : similar.mark();
            Look seen = Look.settled(file);
            Ingested ingested;
            try {
                ingested = readOnce(file, format, storing, seen);
            } catch (BadInputException | java.io.EOFException malformed) {
                Look now = Look.atOrGone(file);
                if (seen.sameAs(now)) {
                    throw malformed;
                }
                if (!seen.replacedBy(now) || read == READS_OF_A_REPLACED_FILE) {
                    throw changedWhileRead(file, malformed);
                }
                ingested = null; // the file read was replaced: read its replacement
            }
            if (ingested != null) {
                return ingested;
            }
            if (read == READS_OF_A_REPLACED_FILE) {
                throw changedWhileRead(file, null);
            }
            if (similar != null) {
                similar.forgetSince(mark);
            }
        }
    }

    /**
     * One read of {@code file}, found as {@code seen}: null when another file took its path while
     * the read opened it, or after, when the file read had changed too (its stat through a
     * descriptor held on it, {@link Look#ofOpenFile}; its size where that cannot be had); refused
     * when it changed in place. The hash reads a descriptor of its own, the format its own ones (each format opens
     * every descriptor it reads in {@link WeightFileFormat#read}): all are of the file seen when
     * the path holds it unchanged after they are open.
     */
    private static Ingested readOnce(Path file, WeightFileFormat format, Storing storing, Look seen) throws IOException {
        Stored stored;
        FileStat hashed;
        List<String> kept;
        FileChannel held = FileChannel.open(file, StandardOpenOption.READ);
        try (held; ParsedWeightFile parsed = format.read(file)) {
            FaultPoints.hit("ingest.fileOpened");
            Look opened = Look.atOrGone(file);
            if (!seen.sameAs(opened)) {
                if (seen.replacedBy(opened)) {
                    return null;
                }
                throw changedWhileRead(file, null);
            }
            kept = parsed.keptAsBytes();
            Set<String> names = new HashSet<>();
            for (TensorSource t : parsed.tensors()) {
                if (!names.add(t.name())) {
                    throw new BadInputException(file + ": tensor name '" + t.name() + "' appears twice");
                }
            }
            try (OverlappedTask<FileStat> hashing = new OverlappedTask<>(() -> FileStat.of(held, seen.stat()),
                    seen.stat().size() >= HASH_ASIDE_BYTES, "coral-file-hash", file + ": hashing")) {
                stored = storing.store(parsed, hashing);
                FaultPoints.hit("ingest.fileStored");
                hashed = hashing.result();
            }
            Look after = Look.atOrGone(file);
            if (!seen.sameAs(after)) {
                if (!seen.replacedBy(after)) {
                    throw changedWhileRead(file, null);
                }
                Look read = Look.ofOpenFile(seen);
                if (read == null ? held.size() != seen.stat().size() : !seen.sameContentAs(read)) {
                    return null; // written over before it was replaced: read the replacement
                }
            }
        }
        return new Ingested(stored.id(), hashed, stored.entry(), kept);
    }

    private static BadInputException changedWhileRead(Path file, Exception cause) {
        return new BadInputException(file + ": changed while it was being added; add it again when it is written", cause);
    }

    /** One stat of a file: its stamp, identity and modification time ({@link FileStamp.Identified}). */
    private record Look(FileStat stat, Object identity, long modifiedNanos) {
        static Look at(Path file) throws IOException {
            return of(FileStamp.identified(file));
        }

        private static Look of(FileStamp.Identified id) {
            return new Look(new FileStat(id.stamp(), null), id.identity(), id.modifiedNanos());
        }

        /**
         * As {@link #at}, once the file's times are old enough that a write after this stat would
         * change them ({@link StampSettling}; at once where writes are stamped finely after a
         * stat): a stamp younger than that is waited for and the file stat'ed again,
         * {@value #SETTLING_WAITS} times at most (a writer still at it is then read as the other
         * checks allow).
         */
        static Look settled(Path file) throws IOException {
            FileStamp.Identified id = FileStamp.identified(file);
            if (StampSettling.finelyStamped(file, id.identity() instanceof List<?> devIno ? devIno.get(0) : null)) {
                return of(id);
            }
            for (int waits = 0; waits < SETTLING_WAITS; waits++) {
                long nanos = StampSettling.waitNanos(id.newestNanos(), StampSettling.nowNanos());
                if (nanos == 0) {
                    break;
                }
                try {
                    Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException(file + ": interrupted while waiting for its time stamp to settle");
                }
                id = FileStamp.identified(file);
            }
            return of(id);
        }

        static final int SETTLING_WAITS = 3;

        /** As {@link #at}; null when no file is at the path. */
        static Look atOrGone(Path file) throws IOException {
            try {
                return at(file);
            } catch (NoSuchFileException gone) {
                return null;
            }
        }

        /**
         * The stat of the file {@code seen} through a descriptor this process holds open on it
         * ({@code /proc/self/fd}, Linux: a stat there reaches the file even when no path names it
         * any more), found by its identity; null where there is no such folder or no descriptor of it.
         */
        static Look ofOpenFile(Look seen) {
            Path fds = Path.of("/proc/self/fd");
            if (seen.identity() == null || !Files.isDirectory(fds)) {
                return null;
            }
            try (java.nio.file.DirectoryStream<Path> open = Files.newDirectoryStream(fds)) {
                for (Path fd : open) {
                    try {
                        Look l = at(fd);
                        if (seen.identity().equals(l.identity())) {
                            return l;
                        }
                    } catch (IOException | RuntimeException notAFile) {
                        // closed meanwhile, or a socket, a pipe
                    }
                }
            } catch (IOException e) {
                return null;
            }
            return null;
        }

        /**
         * Whether {@code o}, a stat of this file after its path went to another (the unlink changed
         * its ctime), says it holds what it held: the same size and modification time, to the
         * nanosecond (any write after this stat is stamped later: it was taken {@link #settled}).
         */
        boolean sameContentAs(Look o) {
            return identity != null && identity.equals(o.identity) && stat.size() == o.stat.size() && modifiedNanos == o.modifiedNanos;
        }

        /** Whether {@code o} is of this file, unchanged. */
        boolean sameAs(Look o) {
            return o != null && java.util.Objects.equals(identity, o.identity) && stat.sameStamp(o.stat);
        }

        /** Whether the path now holds another file, or none ({@code now} null), rather than this one changed. */
        boolean replacedBy(Look now) {
            return identity != null && (now == null || !identity.equals(now.identity));
        }
    }

    /**
     * Files from this size are hashed on a thread of its own, overlapping the chunk work (the page
     * cache serves both reads); smaller ones in line, where a thread costs more than it saves.
     */
    public static final long HASH_ASIDE_BYTES = 16L << 20;

    /**
     * Size, modification time, change stamp ({@link FileStamp}), SHA-256 and CRC32C (-1 when not
     * computed) of a working file.
     */
    public record FileStat(long size, long mtimeMillis, long changeStamp, byte[] sha256, long crc32c) {
        public FileStat(FileStamp st, byte[] sha256) {
            this(st.size(), st.mtimeMillis(), st.change(), sha256, -1);
        }

        /** Whether size, time and change stamp are the same (an unknown change stamp matches any). */
        public boolean sameStamp(FileStat o) {
            return size == o.size && mtimeMillis == o.mtimeMillis && FileStamp.sameChange(changeStamp, o.changeStamp);
        }

        /**
         * Read size for hashing a file. Java reads into an array through a temporary direct buffer
         * as large as the read: at 64 KiB that buffer and this array stay in the core's cache
         * between the kernel's copy, the JDK's copy and the hashing; at 256 KiB they did not.
         * Measured, {@link #of} on 84 MB from the page cache, CPU time, one JVM per run: 119-139 ms
         * with 256 KiB, 86-100 ms with 64 KiB; {@code coral status} after touching an 84 MB file
         * 0.59-0.69 -> 0.52-0.59 s. Also far from a humongous allocation, which can start a
         * concurrent cycle when the heap is full of weights (see
         * {@link dev.coral.store.ObjectInserter#borrowBuffer}).
         */
        static final int HASH_BUFFER = 64 << 10;

        /** Reads the whole file once for both checksums. */
        public static FileStat of(Path file) throws IOException {
            return read(file, ObjectId.sha256());
        }

        /**
         * Reads the file open as {@code ch} whole for both checksums (from its start, whatever its
         * position); size and stamps are {@code seen}'s, the stat of the path that opened it.
         */
        static FileStat of(FileChannel ch, FileStat seen) throws IOException {
            // not closed: the stream would close the channel, which the caller holds
            return checksums(java.nio.channels.Channels.newInputStream(ch.position(0)), seen.size(), seen.mtimeMillis(),
                    seen.changeStamp(), ObjectId.sha256());
        }

        /** Reads the whole file for its CRC32C alone (the SHA-256 is left empty). */
        public static FileStat crc32c(Path file) throws IOException {
            return read(file, null);
        }

        private static FileStat read(Path file, MessageDigest md) throws IOException {
            FileStamp a = FileStamp.of(file);
            try (InputStream in = Files.newInputStream(file)) {
                return checksums(in, a.size(), a.mtimeMillis(), a.change(), md);
            }
        }

        /** Reads {@code in} to its end for its CRC32C and, when {@code md} is given, its SHA-256; the stat's other fields as given. */
        private static FileStat checksums(InputStream in, long size, long mtimeMillis, long changeStamp, MessageDigest md)
                throws IOException {
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[HASH_BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (md != null) {
                    ObjectId.update(md, buf, 0, n);
                }
                crc.update(buf, 0, n);
            }
            return new FileStat(size, mtimeMillis, changeStamp, md == null ? null : md.digest(), crc.getValue());
        }

        /** Size, time and change stamp only; the hash is left empty. */
        public static FileStat quick(Path file) throws IOException {
            return new FileStat(FileStamp.of(file), null);
        }

        public static byte[] sha256(Path file) throws IOException {
            return of(file).sha256();
        }
    }
}
