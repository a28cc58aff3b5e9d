package dev.coral.api;

import dev.coral.codec.ChunkCodec;
import dev.coral.store.ObjectId;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How much a repository stores and what it would cost without Coral: what {@code coral stats}
 * prints. Covers every commit reachable from a branch, a tag or HEAD; each object and chunk is
 * counted once however many commits share it.
 *
 * <ul>
 *   <li>Logical bytes: the bytes of every file of every commit as committed (its tensors, and
 *       its other bytes: headers, an HDF5 file's layout and the datasets it keeps as bytes), what
 *       storing each checkpoint raw would cost; unique logical bytes: the bytes of the distinct
 *       tensors plus the other bytes of each distinct file version.</li>
 *   <li>Stored bytes: the stored (pack payload) lengths of the distinct reachable chunks plus
 *       those of the reachable commits, trees, file entries, tensors and annotated tags.</li>
 *   <li>{@link #disk}: what {@code .coral/packs} takes on disk, unreachable objects and
 *       framing included.</li>
 * </ul>
 *
 * @param commits reachable commits
 * @param branches branches
 * @param tags tags
 * @param filePaths distinct paths tracked in some commit
 * @param fileVersions distinct file entries (a file's contents at some commit)
 * @param distinctTensors distinct tensor objects
 * @param logicalBytes file bytes summed over every file of every commit
 * @param uniqueLogicalBytes bytes of the distinct tensors and the other bytes of the distinct file versions
 * @param chunkReferences chunk references summed over every tensor of every file of every commit
 * @param distinctTensorChunkReferences chunk references of the distinct tensors, each counted once
 * @param distinctChunks distinct chunks
 * @param chunkRawBytes raw bytes of the distinct chunks
 * @param chunkStoredBytes stored bytes of the distinct chunks
 * @param objects distinct commits, trees, file entries, tensors and annotated tags
 * @param objectStoredBytes their stored bytes
 * @param codecs distinct chunks by codec (codecs with no chunk left out), in codec id order
 * @param chainDepths delta chain depth (0: keyframe) to the number of distinct chunks at it
 * @param planeModes how the byte planes of the distinct planar chunks are stored (Huffman, zstd,
 *                   raw, zero, constant) to the number of planes so stored
 * @param exponentLayoutChunks distinct keyframe chunks (PLANES) whose top two planes are in the
 *                             exponent layout (a float's whole exponent in plane 0)
 * @param mantissaBitLayoutChunks distinct keyframe chunks (PLANES) whose top two planes are in the
 *                                mantissa-bit layout (the exponent's low seven bits and the top
 *                                mantissa bit in plane 0)
 * @param disk the packs folder
 * @param lossyCommits commits made with {@code --lossy} that quantized a value (they are marked lossy)
 * @param commitsHoldingLossyFiles commits whose tree holds a lossy file entry: the lossy commits, and
 *                                 later ones that keep such a file as it was stored (not changed since)
 * @param files per path, sorted by path; empty unless asked for
 * @param history per commit, parents before children (then oldest first); empty unless asked for
 */
public record RepositoryStats(
        long commits,
        int branches,
        int tags,
        long filePaths,
        long fileVersions,
        long distinctTensors,
        long logicalBytes,
        long uniqueLogicalBytes,
        long chunkReferences,
        long distinctTensorChunkReferences,
        long distinctChunks,
        long chunkRawBytes,
        long chunkStoredBytes,
        long objects,
        long objectStoredBytes,
        List<CodecCount> codecs,
        SortedMap<Integer, Long> chainDepths,
        SortedMap<dev.coral.codec.PlaneMode, Long> planeModes,
        long exponentLayoutChunks,
        long mantissaBitLayoutChunks,
        DiskFootprint disk,
        long lossyCommits,
        long commitsHoldingLossyFiles,
        List<FileStats> files,
        List<CommitStats> history) {

    public RepositoryStats {
        codecs = List.copyOf(codecs);
        chainDepths = Collections.unmodifiableSortedMap(new TreeMap<>(chainDepths));
        planeModes = Collections.unmodifiableSortedMap(new TreeMap<>(planeModes));
        files = List.copyOf(files);
        history = List.copyOf(history);
    }

    /** Stored bytes of everything reachable: distinct chunks plus objects. */
    public long storedBytes() {
        return chunkStoredBytes + objectStoredBytes;
    }

    /** Logical / stored; NaN when nothing is stored. */
    public double ratio() {
        return ratio(logicalBytes, storedBytes());
    }

    /** Unique logical / stored: the gain of compression and deltas alone, without repeats. */
    public double uniqueRatio() {
        return ratio(uniqueLogicalBytes, storedBytes());
    }

    /** Logical / bytes of the packs folder. */
    public double diskRatio() {
        return ratio(logicalBytes, disk.totalBytes());
    }

    /** Chunk references that needed no new chunk: references − distinct chunks. */
    public long deduplicatedChunkReferences() {
        return chunkReferences - distinctChunks;
    }

    /** Distinct chunks stored whole (chain depth 0). */
    public long keyframeChunks() {
        return chainDepths.getOrDefault(0, 0L);
    }

    /** Distinct chunks stored as a delta against another chunk (chain depth ≥ 1). */
    public long deltaChunks() {
        return distinctChunks - keyframeChunks();
    }

    /** {@code a / b}, NaN when {@code b} is 0. */
    public static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    /**
     * The distinct chunks stored with one codec.
     *
     * @param delta true for the delta codecs (stored against a base chunk)
     */
    public record CodecCount(ChunkCodec codec, boolean delta, long chunks, long rawBytes, long storedBytes) {
        public double ratio() {
            return RepositoryStats.ratio(rawBytes, storedBytes);
        }
    }

    /**
     * The files of {@code .coral/packs}.
     *
     * @param indexBytes pack indexes and the multi-pack index
     * @param otherBytes anything else there (e.g. a pack being written)
     * @param chunkCacheBytes the chunk cache ({@code .coral/cache/chunks}): derived data, not in
     *     {@link #totalBytes()} nor in any ratio
     */
    public record DiskFootprint(int packs, long packBytes, long indexBytes, long otherBytes, long chunkCacheBytes) {
        public long totalBytes() {
            return packBytes + indexBytes + otherBytes;
        }
    }

    /**
     * One path across history.
     *
     * @param versions distinct contents the path had
     * @param commits commits tracking the path
     * @param logicalBytes the file's bytes summed over those commits
     * @param storedBytes stored bytes of the chunks, tensors and file entries first seen at this
     *     path (paths of a commit are visited in order, commits oldest first)
     * @param newChunks chunks first seen at this path
     */
    public record FileStats(String path, long versions, long commits, long logicalBytes, long storedBytes, long newChunks) {
        public double ratio() {
            return RepositoryStats.ratio(logicalBytes, storedBytes);
        }
    }

    /**
     * One commit.
     *
     * @param logicalBytes bytes of all its files
     * @param newStoredBytes stored bytes of the chunks and objects (the commit, its tree, file
     *     entries and tensors) no earlier commit reached
     * @param newChunks chunks no earlier commit reached
     * @param lossyEps the bound of a {@code --lossy} commit; empty for a lossless one
     */
    public record CommitStats(ObjectId id, String subject, long timeMillis, long logicalBytes, long newStoredBytes,
                              long newChunks, String lossyEps) {
        /** True for a commit made with {@code --lossy} ({@link #lossyEps} its bound). */
        public boolean isLossy() {
            return !lossyEps.isEmpty();
        }

        public double ratio() {
            return RepositoryStats.ratio(logicalBytes, newStoredBytes);
        }
    }
}
