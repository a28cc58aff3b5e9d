package dev.coral.api;

import dev.coral.codec.ChunkEncoder;
import dev.coral.io.FaultPoints;
import dev.coral.io.Folders;
import dev.coral.io.RepositoryLock;
import dev.coral.io.WriterGate;
import dev.coral.maintenance.GarbageCollector;
import dev.coral.maintenance.LateReferences;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.Commit;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.SimilarBases;
import dev.coral.repo.StoredTensor;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.TensorObject;
import dev.coral.repo.Tree;
import dev.coral.similarity.LshIndex;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import dev.coral.store.PackMerge;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code coral repack}: re-plans every delta base and chain of the whole repository — each
 * tensor's chunks against the same tensor's previous version, in commit-time order, with the
 * configured chain bound; a tensor that starts a lineage (a new model, an independent fine-tune,
 * a renamed tensor) against the most similar tensor copied before it, found by a similarity index
 * built afresh during the repack (so an import of many unrelated models is linked up by
 * content, whatever the cache held) — and writes everything reachable into one new pack; then
 * removes the packs that existed before. No object id changes, so refs, commits and trees stay as
 * they are.
 *
 * <p>Runs under the gc lock. Writers go on meanwhile: the repack shuts the writers' gate
 * ({@link WriterGate}) while it reads the packs and roots, and again while it deletes, keeping
 * any old pack that holds an object writers named in between ({@link LateReferences}). Packs
 * written meanwhile are left alone. The old packs are removed only after the new one is durable
 * and indexed.
 */
final class Repack {
    private final Repository repo;
    private final ObjectGraph graph;
    private final ObjectStore store;

    private final Runnable onWait;

    Repack(Repository repo, Runnable onWait) {
        this.repo = repo;
        this.onWait = onWait;
        this.graph = repo.graph();
        this.store = graph.store();
    }

    Repository.RepackResult run() throws IOException {
        repo.requireReadableConfig(); // it re-encodes every chunk with the config's settings
        Path coral = repo.root().resolve(".coral");
        Path packsDir = store.packsDir();
        try (RepositoryLock.Held gcLock = new RepositoryLock(coral.resolve("locks"), GarbageCollector.LOCK_NAME).lock()) {
            WriterGate gate = new WriterGate(coral.resolve("locks"));
            List<ObjectId> before;
            List<CommitWalk.Entry> commits;
            List<StagingIndex.Entry> staged;
            List<ObjectId> tags = new ArrayList<>();
            // No writer is between writing objects and naming them while the packs and roots are read.
            try (WriterGate.Held shut = gate.shut(onWait)) {
                store.refresh();
                before = PackMerge.packsIn(packsDir);
                commits = commitsParentsFirst(repo);
                staged = List.copyOf(repo.readIndex().entries().values());
                for (String tag : repo.tags()) {
                    tags.add(repo.refs().tag(tag));
                }
            }
            long bytesBefore = packBytes(packsDir, before);
            store.keepDecodedChunks(); // versions are read oldest first: each chain stops at the version read before
            Path work = packsDir.resolve(GarbageCollector.REPACK_SCRATCH_PREFIX + ProcessHandle.current().pid());
            Repository.deleteTree(work);
            Files.createDirectories(work);
            int objects;
            int deltas;
            LshIndex rebuiltIndex;
            ObjectId newPack;
            try {
                Set<ObjectId> copied;
                try (ObjectStore scratch = ObjectStore.scratch(work, coral.resolve("locks"), repo.config().zstdLevel());
                     ObjectInserter ins = scratch.newInserter()) {
                    ins.setChainShape(repo.config().chainShape());
                    ins.setContextCoding(repo.config().contextCoding());
                    ins.setZigzagDeltas(repo.config().zigzagDeltas());
                    repo.declareFormatFeatures(repo.config()); // before the repacked packs join the repository
                    SimilarBases similar = SimilarBases.open(work.resolve("similarity"), graph, repo.config().similarityCheck());
                    rebuiltIndex = similar.index();
                    Copier c = new Copier(ins, similar);
                    for (CommitWalk.Entry e : commits) {
                        c.commit(e.id(), e.commit());
                        ins.flush(); // this commit's chunks become the bases of the next one's
                    }
                    for (StagingIndex.Entry e : staged) {
                        c.file(e.fileEntry(), null);
                    }
                    for (ObjectId t : tags) {
                        if (graph.kindOf(t) == ObjectKind.TAG) {
                            c.copy(t, ObjectKind.TAG);
                        }
                    }
                    ins.flush();
                    copied = c.copied;
                    objects = copied.size();
                    deltas = (int) ins.deltaChunks();
                }
                ObjectId merged = PackMerge.merge(work, PackMerge.packsIn(work), packsDir);
                newPack = merged;
                FaultPoints.hit("repack.merged");
                try {
                    PackVerifier.changeThenRebuildMultiPackIndex(packsDir, coral.resolve("locks"), () -> {
                        try (WriterGate.Held shut = gate.shut(onWait)) {
                            store.refresh();
                            List<ObjectId> old = before.stream().filter(p -> !p.equals(merged)).toList();
                            // What writers named since the roots were read, and the copy did not take, stays where it is.
                            Set<ObjectId> keep = LateReferences.packsToKeep(coral, store, repo.refs(), copied, old);
                            try {
                                PackVerifier.deletePacks(packsDir, old.stream().filter(p -> !keep.contains(p)).toList());
                            } catch (IOException e) {
                                throw new IOException("repack: every object is in the new pack, but an old one stays: " + e.getMessage(), e);
                            }
                        }
                    });
                } finally {
                    store.refresh();
                }
                try {
                    SimilarBases.install(rebuiltIndex, coral.resolve("cache").resolve("similarity"), graph);
                } catch (IOException | RuntimeException e) {
                    // the index stays as it was: candidates are fewer until 'coral fsck --rebuild-index' or the next repack
                }
            } finally {
                Repository.deleteTree(work);
            }
            // the pack it wrote, not the folder: packs that commits beside it wrote meanwhile are not its output (a soak
            // run read "126 MB -> 134 MB" where the repacked history had stayed the same size)
            return new Repository.RepackResult(before.size(), bytesBefore, newPack == null ? 0 : packBytes(packsDir, List.of(newPack)),
                    objects, deltas);
        }
    }

    /** Every commit reachable from a branch, tag, HEAD or ORIG_HEAD, parents before children, ties oldest first. */
    static List<CommitWalk.Entry> commitsParentsFirst(Repository repo) throws IOException {
        List<ObjectId> starts = new ArrayList<>(repo.refStarts(null));
        ObjectId orig = repo.origHead();
        if (orig != null) {
            starts.add(orig); // gc keeps what it reaches, so the new pack holds it and the old ones can go
        }
        return new CommitWalk(repo.graph()).parentsFirst(starts);
    }

    /** Copies objects into the scratch store, chunks re-encoded against their lineage's previous version. */
    private final class Copier {
        private final ObjectInserter ins;
        private final Set<ObjectId> copied = new HashSet<>();
        /** (path, tensor name) → the previous version's tensor, and whether it was lossy. */
        private final Map<String, TensorObject> previous = new HashMap<>();
        private final Map<String, Boolean> previousLossy = new HashMap<>();
        private byte[] buffer = new byte[0];
        private final SimilarBases similar;
        /** Tensors found by similarity (or indexed) this repack: how many were re-based. */
        int similarBases;

        Copier(ObjectInserter ins, SimilarBases similar) {
            this.ins = ins;
            this.similar = similar;
        }

        void commit(ObjectId id, Commit c) throws IOException {
            Tree tree = graph.tree(c.tree());
            for (Map.Entry<String, ObjectId> f : tree.files().entrySet()) {
                file(f.getValue(), f.getKey());
            }
            copy(c.tree(), ObjectKind.TREE);
            copy(id, ObjectKind.COMMIT);
        }

        void file(ObjectId entryId, String path) throws IOException {
            if (copied.contains(entryId)) {
                return;
            }
            FileEntry entry = graph.file(entryId);
            ins.setUndoableDeltas(!entry.isLossy()); // as a lossy commit stores them
            for (FileEntry.NamedTensor t : entry.tensors()) {
                String lineage = path == null ? null : path + "\u0000" + t.name();
                TensorObject tensor = graph.tensor(t.tensorId());
                TensorObject prev = lineage == null ? null : previous.get(lineage);
                // A lossless version never takes a lossy one as its base.
                if (prev != null && !entry.isLossy() && Boolean.TRUE.equals(previousLossy.get(lineage))) {
                    prev = null;
                }
                tensor(t.tensorId(), tensor, prev, !entry.isLossy());
                if (lineage != null) {
                    previous.put(lineage, tensor);
                    previousLossy.put(lineage, entry.isLossy());
                }
            }
            copy(entryId, ObjectKind.FILE);
            ins.flush(); // this file's tensors become candidate bases of the next file's, in this commit too
        }

        /**
         * Copies a tensor's chunks, re-encoded against {@code prev} (its lineage's previous
         * version) or, when it has none, against the most similar lossless tensor copied so far.
         * Lossless tensors are indexed for the ones that follow; lossy ones never are, so a
         * lossless tensor never takes a lossy base.
         */
        private void tensor(ObjectId id, TensorObject t, TensorObject prev, boolean lossless) throws IOException {
            if (copied.contains(id)) {
                return;
            }
            SimilarBases.Plan plan = SimilarBases.NO_PLAN;
            if (prev == null && lossless) {
                plan = similar.plan(t.spec(), () -> new StoredTensor("", id, t, store).openStream());
                if (plan.base() != null) {
                    prev = plan.base();
                    similarBases++;
                }
            }
            int width = ChunkEncoder.planeWidth(t.spec().dtype());
            boolean aligned = prev != null && prev.spec().dtype() == t.spec().dtype() && prev.byteSize() == t.byteSize();
            List<ChunkRef> chunks = t.chunks();
            long offset = 0;
            for (int i = 0; i < chunks.size(); i++) {
                ChunkRef c = chunks.get(i);
                if (!copied.add(c.id())) {
                    if (plan.builder() != null) {
                        // already copied (shared with another tensor): still part of this tensor's sketch
                        if (buffer.length < c.rawLength()) {
                            buffer = new byte[(int) c.rawLength()];
                        }
                        store.readChunk(c.id(), buffer, false);
                        plan.builder().update(offset, buffer, 0, (int) c.rawLength());
                    }
                    offset += c.rawLength();
                    continue;
                }
                if (buffer.length < c.rawLength()) {
                    buffer = new byte[(int) c.rawLength()];
                }
                store.readChunk(c.id(), buffer, true);
                if (plan.builder() != null) {
                    plan.builder().update(offset, buffer, 0, (int) c.rawLength());
                }
                offset += c.rawLength();
                ObjectId base = aligned && i < prev.chunks().size() && prev.chunks().get(i).rawLength() == c.rawLength()
                        ? prev.chunks().get(i).id() : null;
                ins.insertChunk(buffer, 0, (int) c.rawLength(), width, base);
            }
            copy(id, ObjectKind.TENSOR);
            if (lossless) {
                similar.add(id, plan);
            }
        }

        void copy(ObjectId id, ObjectKind kind) throws IOException {
            if (copied.add(id)) {
                ins.insert(kind, store.readObject(id, kind));
            }
        }
    }

    private static long packBytes(Path dir, List<ObjectId> packs) throws IOException {
        long n = 0;
        for (ObjectId p : packs) {
            for (String suffix : List.of(".pack", ".idx")) {
                Path f = dir.resolve("pack-" + p.hex() + suffix);
                if (Files.exists(f)) {
                    n += Files.size(f);
                }
            }
        }
        return n;
    }
}
