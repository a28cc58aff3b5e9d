package dev.coral.api;

import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkFormat;
import dev.coral.codec.PlaneMode;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.Commit;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.repo.TensorObject;
import dev.coral.repo.Tree;
import dev.coral.store.ChunkCache;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes {@link RepositoryStats}: walks every commit reachable from a branch, a tag or HEAD,
 * parents before children, and every tree, file entry, tensor and chunk under them. Each file
 * entry and tensor is read once (later commits sharing it reuse its figures); each distinct chunk
 * costs an index look-up and, for keyframes and deltas, a read of its first bytes (its codec, and
 * its chain depth for a delta). No chunk is decoded. One instance collects once.
 */
public final class StatsCollector {
    private final ObjectGraph graph;
    private final ObjectStore store;
    private final Refs refs;

    public StatsCollector(Repository repo) {
        this.graph = repo.graph();
        this.store = graph.store();
        this.refs = repo.refs();
    }

    /** What a distinct file entry holds, computed once. */
    private record FileFigures(long logicalBytes, long chunkReferences, boolean lossy) {
    }

    /** What a distinct tensor holds, computed once. */
    private record TensorFigures(long logicalBytes, long chunkReferences) {
    }

    /** Running totals for one path. */
    private static final class PathTotals {
        final Set<ObjectId> versions = new HashSet<>();
        long commits;
        long logical;
        long stored;
        long newChunks;
    }

    /** Running totals for one codec. */
    private static final class CodecTotals {
        long chunks;
        long raw;
        long stored;
    }

    // The walk's state.
    private boolean collected;
    private final Set<ObjectId> objects = new HashSet<>();
    private final Map<ObjectId, FileFigures> fileFigures = new HashMap<>();
    private final Map<ObjectId, TensorFigures> tensorFigures = new HashMap<>();
    private final Set<ObjectId> chunks = new HashSet<>();
    private final Map<ChunkCodec, CodecTotals> codecs = new EnumMap<>(ChunkCodec.class);
    private final java.util.SortedMap<PlaneMode, Long> planeModes = new java.util.TreeMap<>();
    private long exponentLayoutChunks;
    private long mantissaBitLayoutChunks;
    private final TreeMap<Integer, Long> depths = new TreeMap<>();
    private long objectStored;
    private long chunkRaw;
    private long chunkStored;
    private long uniqueLogical;
    private long distinctTensorChunkRefs;
    // Attribution of what the current file / commit brought first.
    private long newStored;
    private long newChunks;

    /**
     * Walks the repository.
     *
     * @param perFile fill {@link RepositoryStats#files()}
     * @param perCommit fill {@link RepositoryStats#history()}
     */
    public RepositoryStats collect(boolean perFile, boolean perCommit) throws IOException {
        if (collected) {
            throw new IllegalStateException("a StatsCollector collects once");
        }
        collected = true;
        List<String> branches = refs.branches();
        List<String> tags = refs.tags();
        Set<ObjectId> tips = new LinkedHashSet<>();
        for (String b : branches) {
            ObjectId tip = refs.branch(b);
            if (tip != null) {
                tips.add(tip);
            }
        }
        for (String t : tags) {
            ObjectId id = refs.tag(t);
            // peel annotated tags (counting their objects) down to what they point at
            while (id != null && graph.kindOf(id) == ObjectKind.TAG) {
                addObject(id);
                id = graph.tag(id).target();
            }
            if (id != null && graph.kindOf(id) == ObjectKind.COMMIT) {
                tips.add(id);
            }
        }
        ObjectId head = refs.headCommit();
        if (head != null) {
            tips.add(head); // a detached HEAD's commits are reachable too
        }

        List<CommitWalk.Entry> order = new CommitWalk(graph).parentsFirst(tips);
        Map<String, PathTotals> paths = new TreeMap<>();
        List<RepositoryStats.CommitStats> history = new ArrayList<>();
        Set<ObjectId> fileVersions = new HashSet<>();
        long logical = 0;
        long chunkRefs = 0;
        long holdingLossy = 0;
        for (CommitWalk.Entry e : order) {
            ObjectId id = e.id();
            Commit commit = e.commit();
            newStored = 0;
            newChunks = 0;
            long commitLogical = 0;
            boolean holdsLossy = false;
            addObject(id);
            Tree tree = graph.tree(commit.tree());
            addObject(commit.tree());
            for (Map.Entry<String, ObjectId> f : tree.files().entrySet()) {
                long storedBefore = newStored;
                long chunksBefore = newChunks;
                FileFigures ff = file(f.getValue());
                holdsLossy |= ff.lossy();
                fileVersions.add(f.getValue());
                commitLogical += ff.logicalBytes();
                chunkRefs += ff.chunkReferences();
                PathTotals pt = paths.computeIfAbsent(f.getKey(), k -> new PathTotals());
                pt.versions.add(f.getValue());
                pt.commits++;
                pt.logical += ff.logicalBytes();
                pt.stored += newStored - storedBefore;
                pt.newChunks += newChunks - chunksBefore;
            }
            logical += commitLogical;
            if (holdsLossy) {
                holdingLossy++;
            }
            history.add(new RepositoryStats.CommitStats(id, commit.subject(), commit.timeMillis(), commitLogical, newStored, newChunks,
                    commit.lossyEps()));
        }
        List<RepositoryStats.FileStats> files = new ArrayList<>();
        if (perFile) {
            paths.forEach((p, t) -> files.add(new RepositoryStats.FileStats(p, t.versions.size(), t.commits, t.logical, t.stored, t.newChunks)));
        }
        List<RepositoryStats.CodecCount> codecList = new ArrayList<>();
        codecs.forEach((c, t) -> codecList.add(new RepositoryStats.CodecCount(c, c.needsBase(), t.chunks, t.raw, t.stored)));
        return new RepositoryStats(order.size(), branches.size(), tags.size(), paths.size(), fileVersions.size(),
                tensorFigures.size(), logical, uniqueLogical, chunkRefs, distinctTensorChunkRefs, chunks.size(),
                chunkRaw, chunkStored, objects.size(), objectStored, codecList, depths, planeModes, exponentLayoutChunks, mantissaBitLayoutChunks, disk(),
                (int) order.stream().filter(e -> e.commit().isLossy()).count(), holdingLossy,
                files, perCommit ? history : List.of());
    }

    private FileFigures file(ObjectId id) throws IOException {
        FileFigures ff = fileFigures.get(id);
        if (ff != null) {
            return ff;
        }
        addObject(id);
        FileEntry entry = graph.file(id);
        long tensorBytes = 0;
        long refs = 0;
        for (FileEntry.NamedTensor t : entry.tensors()) {
            TensorFigures tf = tensor(t.tensorId());
            tensorBytes += tf.logicalBytes();
            refs += tf.chunkReferences();
        }
        // the file as committed: its tensors and its other bytes (headers, an HDF5 file's layout and the datasets it keeps
        // as bytes), which this distinct file version stores once, in its entry
        uniqueLogical += Math.max(0, entry.fileSize() - tensorBytes);
        ff = new FileFigures(Math.max(entry.fileSize(), tensorBytes), refs, entry.isLossy());
        fileFigures.put(id, ff);
        return ff;
    }

    private TensorFigures tensor(ObjectId id) throws IOException {
        TensorFigures tf = tensorFigures.get(id);
        if (tf != null) {
            return tf;
        }
        addObject(id);
        TensorObject t = graph.tensor(id);
        for (ChunkRef c : t.chunks()) {
            addChunk(c);
        }
        tf = new TensorFigures(t.byteSize(), t.chunks().size());
        tensorFigures.put(id, tf);
        uniqueLogical += t.byteSize();
        distinctTensorChunkRefs += t.chunks().size();
        return tf;
    }

    private void addObject(ObjectId id) throws IOException {
        if (objects.add(id)) {
            long n = store.storedLength(id);
            objectStored += n;
            newStored += n;
        }
    }

    private void addChunk(ChunkRef c) throws IOException {
        if (!chunks.add(c.id())) {
            return;
        }
        long stored = store.storedLength(c.id());
        ChunkCodec codec = store.chunkCodec(c.id());
        int depth = store.chainDepth(c.id()); // no read for a keyframe
        CodecTotals t = codecs.computeIfAbsent(codec, k -> new CodecTotals());
        t.chunks++;
        t.raw += c.rawLength();
        t.stored += stored;
        depths.merge(depth, 1L, Long::sum);
        if (codec.isPlanar()) {
            ChunkFormat.PlaneTable table = store.chunkPlaneTable(c.id());
            for (PlaneMode m : table.modes()) {
                planeModes.merge(m, 1L, Long::sum);
            }
            exponentLayoutChunks += table.exponentBytes() ? 1 : 0;
            mantissaBitLayoutChunks += table.mantissaBit() ? 1 : 0;
        }
        chunkRaw += c.rawLength();
        chunkStored += stored;
        newStored += stored;
        newChunks++;
    }

    /** Sizes of the files in the packs folder, and the chunk cache's (counted apart). */
    private RepositoryStats.DiskFootprint disk() throws IOException {
        Path dir = store.packsDir();
        int packs = 0;
        long packBytes = 0;
        long indexBytes = 0;
        long other = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                String name = p.getFileName().toString();
                long size;
                try {
                    size = Files.size(p);
                } catch (java.nio.file.NoSuchFileException e) {
                    continue; // a temporary file renamed or removed meanwhile
                }
                if (name.endsWith(".pack")) {
                    packs++;
                    packBytes += size;
                } else if (name.endsWith(".idx") || name.equals("multi-pack-index")) {
                    indexBytes += size;
                } else {
                    other += size;
                }
            }
        }
        ChunkCache cache = store.chunkCache();
        return new RepositoryStats.DiskFootprint(packs, packBytes, indexBytes, other, cache == null ? 0 : cache.bytes());
    }
}
