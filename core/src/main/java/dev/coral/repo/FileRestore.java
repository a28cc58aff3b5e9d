package dev.coral.repo;

import dev.coral.error.CoralException;
import dev.coral.error.CorruptObjectException;
import dev.coral.format.TensorPlacement;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.AtomicFile;
import dev.coral.io.BackgroundRelease;
import dev.coral.io.BootId;
import dev.coral.io.ChannelOutput;
import dev.coral.io.CheckedFileOutput;
import dev.coral.io.CountingOutputStream;
import dev.coral.io.DurableFileOutput;
import dev.coral.io.Folders;
import dev.coral.io.SeenFile;
import dev.coral.io.WriteErrors;
import dev.coral.store.ChunkAtHand;
import dev.coral.store.ChunkCache;
import dev.coral.store.ObjectId;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes a tracked file back from its entry: into a temporary sibling, then renamed into place, so
 * a failure never leaves a half-written model. Where the platform names its boots
 * ({@link BootId}: Linux), the file goes to the page cache without fsync, and the caller records
 * it as {@linkplain Restored#unsynced unsynced} in the staging index, which distrusts it after a
 * reboot ({@link StagingIndex}); git does not fsync the files it checks out either. Elsewhere it
 * is fsynced (flushed to the device in the background as it is written, so the fsync waits for
 * the tail only) and renamed over the target; so it is everywhere when the repository's
 * {@code checkout.fsync} is true. The file it replaces is freed in the background
 * ({@link BackgroundRelease}). Formats that promise byte-identical checkout (safetensors, npy)
 * are checked against the checksums recorded when the file was added.
 */
public final class FileRestore {
    private final ObjectGraph graph;
    private final boolean fsync;

    public FileRestore(ObjectGraph graph) {
        this(graph, false);
    }

    /** @param fsync fsync restored files even where unsynced ones could be told from boot to boot ({@code checkout.fsync}) */
    public FileRestore(ObjectGraph graph, boolean fsync) {
        this.graph = graph;
        this.fsync = fsync;
    }

    /**
     * Whether a checkout of {@code entry} reproduces the added file byte for byte (safetensors,
     * npy, npz of stored members added from this version on; see
     * {@link WeightFileFormat#restoresBytes}); else value-identical.
     */
    public static boolean isByteIdentical(FileEntry entry) {
        return WeightFormats.byName(entry.format()).map(f -> f.restoresBytes(entry.restoreInfo())).orElse(false);
    }

    public List<StoredTensor> tensors(FileEntry entry) throws IOException {
        List<StoredTensor> out = new ArrayList<>();
        for (FileEntry.NamedTensor t : entry.tensors()) {
            out.add(new StoredTensor(t.name(), t.tensorId(), graph.tensor(t.tensorId()), graph.store()));
        }
        return out;
    }

    /**
     * Restores {@code entry} to {@code target}; returns the written file's stat. A byte-identical
     * format is verified as it is written: by CRC32C and size when the entry records them (at
     * memory speed), else by SHA-256. Other formats are hashed for the index.
     *
     * <p>The chunk cache is derived data and must never fail a checkout: its entries are read on
     * their CRC32C, as pack entries are, so one holding other bytes with a sound checksum (a bug,
     * a file copied in) would fail the file's check. When it does and the cache served chunks
     * meanwhile, this file's entries are dropped and the file is restored again from its chains.
     */
    public Restored restore(FileEntry entry, Path target, String displayPath) throws IOException {
        return restore(entry, target, displayPath, null);
    }

    /**
     * As {@link #restore(FileEntry, Path, String)}, where the staging index says {@code target}
     * holds the version {@code held} (null: none). When its size and time still say so (or its
     * size, where the index trusts no time: a file committed or checked out just before), each chunk
     * that file holds unchanged is copied from it, and each whose delta chain meets that file's
     * chunk's is decoded from it: going a few training steps forward or back then decodes the
     * deltas between them, not each chunk's whole chain from its keyframe ({@link ChunkAtHand}). Only for a byte-identical format with a
     * recorded CRC32C, which checks the file written whole: if the file held something else after
     * all (changed within the index's time stamp), the check fails and the file is restored again
     * from the store alone.
     */
    public Restored restore(FileEntry entry, Path target, String displayPath, StagingIndex.Entry held) throws IOException {
        return restore(entry, target, displayPath, held, null);
    }

    /**
     * As {@link #restore(FileEntry, Path, String, StagingIndex.Entry)}; with {@code seen} not null,
     * only over what was seen at {@code target} when the caller decided to replace it (a checkout,
     * after its check for local changes): a file another process wrote there since is left as it
     * is, and the result says so ({@link Restored#leftAsFound}).
     */
    public Restored restore(FileEntry entry, Path target, String displayPath, StagingIndex.Entry held, SeenFile seen) throws IOException {
        boolean unsynced = !fsync && BootId.current().isPresent();
        FileEntry heldVersion = heldVersion(entry, target, held);
        if (heldVersion != null) {
            try {
                return restoreOnce(entry, target, displayPath, unsynced, heldVersion, seen);
            } catch (CoralException | NoSuchFileException e) {
                // the file was not the version the index names (or is gone), the held version's objects are damaged, or
                // the chunk cache served wrong bytes: from the store alone, dropping the cache's entries if it fails
                // again (where a damaged store, or whatever else went wrong, fails again and says so)
            }
        }
        return withoutWrongCacheEntries(entry, () -> restoreOnce(entry, target, displayPath, unsynced, null, seen));
    }

    /**
     * The version {@code target} holds, by {@code held} and the file's size and time, if it can
     * serve as the start of reading {@code entry}'s chunks; else null.
     */
    private FileEntry heldVersion(FileEntry entry, Path target, StagingIndex.Entry held) throws IOException {
        if (held == null || held.size() < 0 || !isByteIdentical(entry) || !entry.hasFileCrc32c()) {
            return null;
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile() || a.size() != held.size()) {
            return null;
        }
        FileEntry h;
        try {
            h = graph.file(held.fileEntry());
        } catch (CoralException e) {
            return null; // missing or damaged: the checkout reads from the store alone
        }
        if (!h.format().equals(entry.format())) {
            return null;
        }
        // An entry to compare by content (the file was written within the index's time granularity, as a checkout or a
        // training loop's commit leaves it) is taken as it is: the written file's check is the comparison, at no cost
        // when it holds (a CRC32C of the file first took 25 ms of an 84 MB checkout), and a restore from the store when not.
        return a.lastModifiedTime().toMillis() == held.mtimeMillis() || held.mtimeMillis() == StagingIndex.UNVERIFIED ? h : null;
    }

    /**
     * A restored file: its stat, and whether it was left in the page cache without fsync (to be
     * recorded so in the staging index).
     */
    public record Restored(FileIngest.FileStat stat, boolean unsynced, boolean leftAsFound) {
        public Restored(FileIngest.FileStat stat, boolean unsynced) {
            this(stat, unsynced, false);
        }

        /** Not written: another process wrote the file after the caller looked at it. */
        static final Restored LEFT_AS_FOUND = new Restored(null, false, true);
    }

    /** A step reading {@code entry}'s chunks. */
    @FunctionalInterface
    private interface Reading<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code reading}; if it finds the bytes wrong after the chunk cache served some, drops
     * the cache's entries of {@code entry}'s chunks and runs it again, from the chains.
     */
    private <T> T withoutWrongCacheEntries(FileEntry entry, Reading<T> reading) throws IOException {
        ChunkCache cache = graph.store().chunkCache();
        long hitsBefore = cache == null ? 0 : cache.hits();
        try {
            return reading.run();
        } catch (CorruptObjectException e) {
            if (cache == null || cache.hits() == hitsBefore) {
                throw e;
            }
            for (FileEntry.NamedTensor t : entry.tensors()) {
                for (ChunkRef c : graph.tensor(t.tensorId()).chunks()) {
                    cache.drop(c.id());
                }
            }
            return reading.run();
        }
    }

    /**
     * As {@link #restore}: {@code unsynced}, into the page cache only, else fsynced; with
     * {@code held} (or null), the version {@code target} holds, whose chunks reads start from.
     */
    Restored restoreOnce(FileEntry entry, Path target, String displayPath, boolean unsynced, FileEntry held) throws IOException {
        return restoreOnce(entry, target, displayPath, unsynced, held, null);
    }

    /** As {@link #restoreOnce(FileEntry, Path, String, boolean, FileEntry)}, over {@code seen} only (null: whatever is there). */
    private Restored restoreOnce(FileEntry entry, Path target, String displayPath, boolean unsynced, FileEntry held, SeenFile seen)
            throws IOException {
        WeightFileFormat format = formatOf(entry, displayPath);
        List<StoredTensor> sources = tensors(entry);
        Path dir = target.toAbsolutePath().getParent();
        Folders.ensure(dir);
        Path tmp = AtomicFile.tempSibling(target);
        try {
            byte[] sha;
            // the file being replaced is closed before it is renamed over (which Windows refuses for an open file)
            try (FileChannel heldFile = held == null ? null : FileChannel.open(target, StandardOpenOption.READ);
                 FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                FileChunks chunks = FileChunks.of(graph.store(), sources, displayPath);
                if (held != null) {
                    chunks = startingFromHeld(chunks, format, held, heldFile, displayPath);
                }
                if (unsynced && isByteIdentical(entry) && entry.hasFileCrc32c()) {
                    sha = writeCheckedDirectly(entry, format, sources, chunks, ch, displayPath);
                } else if (unsynced) {
                    sha = writeChecked(entry, format, sources, chunks, new BufferedOutputStream(new ChannelOutput(ch), 1 << 18), displayPath);
                } else {
                    try (DurableFileOutput durable = new DurableFileOutput(ch, displayPath)) {
                        sha = writeChecked(entry, format, sources, chunks, new BufferedOutputStream(durable, 1 << 18), displayPath);
                        durable.finish();
                    }
                }
            }
            if (seen != null) {
                boolean placed = unsynced ? BackgroundRelease.replaceUnsyncedIf(tmp, target, seen) : BackgroundRelease.moveIntoPlaceIf(tmp, target, seen);
                if (!placed) {
                    return Restored.LEFT_AS_FOUND;
                }
            } else if (unsynced) {
                BackgroundRelease.replaceUnsynced(tmp, target);
            } else {
                BackgroundRelease.moveIntoPlace(tmp, target);
            }
            FileIngest.FileStat st = new FileIngest.FileStat(FileStamp.of(target), sha);
            return new Restored(st, unsynced);
        } catch (IOException e) {
            throw WriteErrors.naming(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * {@code chunks}, read starting from {@code held}'s chunks in {@code heldFile} when its format
     * places its tensors there as stored; else {@code chunks} as they are.
     */
    private FileChunks startingFromHeld(FileChunks chunks, WeightFileFormat format, FileEntry held, FileChannel heldFile,
                                        String displayPath) throws IOException {
        List<StoredTensor> heldTensors = tensors(held);
        Optional<TensorPlacement> placement = format.placement(held.restoreInfo(), heldTensors);
        return placement.isEmpty() ? chunks
                : chunks.startingFrom(FileChunks.of(graph.store(), heldTensors, displayPath), heldFile, placement.get());
    }

    /**
     * Writes {@code entry} as it was committed to {@code out} (not closed), every chunk checked
     * against its id (SHA-256) before its bytes are written, and the whole file then checked as a
     * checkout checks it: a stream cannot take back what it was given, so each byte is proven
     * before it goes. Returns the file's SHA-256.
     */
    public byte[] writeCommitted(FileEntry entry, OutputStream out, String displayPath) throws IOException {
        List<StoredTensor> sources = tensors(entry).stream().map(StoredTensor::verifying).toList();
        return writeChecked(entry, formatOf(entry, displayPath), sources, FileChunks.of(graph.store(), sources, displayPath), out,
                displayPath);
    }

    private static WeightFileFormat formatOf(FileEntry entry, String displayPath) throws CorruptObjectException {
        return WeightFormats.byName(entry.format())
                .orElseThrow(() -> new CorruptObjectException(displayPath + ": unknown format '" + entry.format() + "' in its file entry"));
    }

    /**
     * Restores {@code entry}, of a byte-identical format with a recorded CRC32C, into {@code ch}
     * through a {@link CheckedFileOutput}. When the format places the tensors' bytes in the file
     * as stored ({@link WeightFileFormat#placement}), the chunks of all its tensors are
     * read ahead on the decoder threads, each written at its place in the file by the thread that
     * decoded it, with its CRC32C taken while in that core's cache; this thread writes the bytes
     * between the tensors and combines the chunks' CRCs into the file's. A file of small tensors (one chunk each) is
     * so decoded on every core, not only a tensor of several chunks. Checked as
     * {@link #writeChecked} checks it.
     */
    private static byte[] writeCheckedDirectly(FileEntry entry, WeightFileFormat format, List<StoredTensor> sources, FileChunks chunks,
                                               FileChannel ch, String displayPath) throws IOException {
        CheckedFileOutput out = new CheckedFileOutput(ch);
        writeFile(entry, format, sources, chunks, out, (c, placement) -> c.writeAt(out, placement));
        return checkedByCrc(entry, out.count(), out.crc32c(), displayPath);
    }

    /** How a file's chunks, read ahead, go to its output. */
    @FunctionalInterface
    private interface ChunksAhead {
        void write(FileChunks chunks, TensorPlacement placement) throws IOException;
    }

    /**
     * Writes {@code entry} to {@code out} (flushed, not closed): when the format places its
     * tensors in the file as stored and reading ahead pays, by {@code ahead}: the chunks of all
     * tensors and the bytes between them; else through the format, a tensor at a time.
     */
    private static void writeFile(FileEntry entry, WeightFileFormat format, List<StoredTensor> sources, FileChunks chunks,
                                  OutputStream out, ChunksAhead ahead) throws IOException {
        Optional<TensorPlacement> placement = format.placement(entry.restoreInfo(), sources);
        if (placement.isPresent() && chunks.paysAhead()) {
            ahead.write(chunks, placement.get());
        } else {
            format.restore(entry.restoreInfo(), sources, out);
        }
        out.flush();
    }

    /** The entry's SHA-256, if {@code written} bytes with CRC32C {@code crc} are what it recorded; else the error. */
    private static byte[] checkedByCrc(FileEntry entry, long written, long crc, String displayPath) throws CorruptObjectException {
        if (written != entry.fileSize() || crc != entry.fileCrc32c()) {
            throw new CorruptObjectException(displayPath + ": restored " + written + " bytes with CRC32C "
                    + Long.toHexString(crc) + ", the file added had " + entry.fileSize() + " bytes with CRC32C "
                    + Long.toHexString(entry.fileCrc32c()));
        }
        return entry.fileSha256();
    }

    /**
     * Restores {@code entry} from {@code sources} into {@code file} (flushed, not closed). A
     * byte-identical format is verified as it is written: by CRC32C and size when the entry
     * records them, else by SHA-256. Returns the SHA-256 of what was written.
     */
    private static byte[] writeChecked(FileEntry entry, WeightFileFormat format, List<StoredTensor> sources, FileChunks chunks,
                                       OutputStream file, String displayPath) throws IOException {
        boolean byCrc = isByteIdentical(entry) && entry.hasFileCrc32c();
        MessageDigest md = byCrc ? null : ObjectId.sha256();
        CRC32C crc = new CRC32C();
        CountingOutputStream out = new CountingOutputStream(byCrc ? new CheckedOutputStream(file, crc) : new DigestOutputStream(file, md));
        writeFile(entry, format, sources, chunks, out, (c, placement) -> c.writeTo(out, placement));
        long written = out.count();
        if (byCrc) {
            return checkedByCrc(entry, written, crc.getValue(), displayPath);
        }
        byte[] sha = md.digest();
        if (isByteIdentical(entry) && !Arrays.equals(sha, entry.fileSha256())) {
            throw new CorruptObjectException(displayPath + ": restored bytes have sha256 " + HexFormat.of().formatHex(sha)
                    + ", the file added had " + HexFormat.of().formatHex(entry.fileSha256()));
        }
        return sha;
    }

    /**
     * Writes {@code entry}'s tensors as a new file of {@code format} (export): its own format as
     * committed (checked as a checkout is); another format has no whole-file checksum to check, so
     * every chunk is checked against its id (SHA-256).
     */
    public void export(FileEntry entry, WeightFileFormat format, Path target) throws IOException {
        withoutWrongCacheEntries(entry, () -> {
            exportOnce(entry, format, target);
            return null;
        });
    }

    /**
     * Writes {@code entry}'s tensors to {@code out} (flushed, not closed) as {@code format}, every
     * chunk checked against its id before its bytes are written.
     */
    public void export(FileEntry entry, WeightFileFormat format, OutputStream out) throws IOException {
        format.write(tensors(entry).stream().map(StoredTensor::verifying).toList(), entry.metadata(), out);
        out.flush();
    }

    private void exportOnce(FileEntry entry, WeightFileFormat format, Path target) throws IOException {
        Path tmp = AtomicFile.tempSibling(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    DurableFileOutput durable = new DurableFileOutput(ch, target.toString())) {
                BufferedOutputStream out = new BufferedOutputStream(durable, 1 << 18);
                if (format.name().equals(entry.format())) {
                    // its own format: the file as committed (byte-identical for safetensors, npy and npz of stored members), as -o - writes it.
                    // Found by fuzzing: a safetensors header not in compact JSON came out rewritten
                    writeCommitted(entry, out, target.toString());
                    out.flush();
                } else {
                    export(entry, format, out);
                }
                durable.finish();
            }
            BackgroundRelease.moveIntoPlace(tmp, target);
        } catch (IOException e) {
            throw WriteErrors.naming(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
