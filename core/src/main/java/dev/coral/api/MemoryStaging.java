package dev.coral.api;

import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.OverlappedTask;
import dev.coral.repo.DeltaBases;
import dev.coral.repo.FileIngest;
import dev.coral.repo.FileEntry;
import dev.coral.repo.LossyRewrite;
import dev.coral.repo.SimilarBases;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.TensorIngest;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stages in-memory tensors as a safetensors file that exists only in the repository until a
 * checkout writes it. The file's header is produced by the safetensors writer in one streaming
 * pass (which also gives the file's size, SHA-256 and CRC32C); the tensors are stored as any
 * file's. Each tensor's stream is opened twice, once by each. From
 * {@link FileIngest#HASH_ASIDE_BYTES} on, as for a file, the writer runs on a thread of its own
 * while the tensors are stored (measured, 84 MB MLP through one handle, 4 alternating pairs of 3
 * runs: 266-388 -> 344-463 MB/s; a 1.2 MB checkpoint gained nothing: 9.0-10.1 ms either way).
 */
final class MemoryStaging {
    private final Repository repo;
    private final ObjectStore store;
    /** Whether the tensors are copies no one else writes: else their two reads are checked to agree ({@link RereadCheck}). */
    private final boolean copies;

    MemoryStaging(Repository repo, ObjectStore store, boolean copies) {
        this.repo = repo;
        this.store = store;
        this.copies = copies;
    }

    /** Stores the tensors as the safetensors file {@code path}, durably; staging it is the caller's. */
    Repository.StagedChanges prepare(String path, List<? extends TensorSource> tensors, Map<String, String> metadata) throws IOException {
        try (ObjectInserter ins = repo.newInserter()) {
            Repository.StagedChanges changes = prepare(path, tensors, metadata, ins, "");
            ins.flush();
            return changes;
        }
    }

    /**
     * As {@link #prepare(String, List, Map)}, through {@code ins}, which it leaves unflushed: the
     * caller makes the objects durable before anything names them. With {@code lossyEps} not
     * empty (a lossy commit) and the path in HEAD, the tensors are stored straight as their lossy
     * version against HEAD's ({@link LossyRewrite}), with no lossless copy left behind.
     */
    Repository.StagedChanges prepare(String path, List<? extends TensorSource> given, Map<String, String> metadata,
                                     ObjectInserter ins, String lossyEps) throws IOException {
        RereadCheck reads = copies ? null : new RereadCheck(given);
        List<? extends TensorSource> tensors = reads == null ? given : reads.sources();
        WeightFileFormat safetensors = WeightFormats.byName("safetensors").orElseThrow();
        long bytes = 0;
        for (TensorSource t : tensors) {
            bytes += t.spec().byteSize();
        }
        try (OverlappedTask<HeaderCapture> hashing = new OverlappedTask<>(() -> {
            HeaderCapture capture = new HeaderCapture();
            safetensors.write(tensors, metadata, capture);
            return capture;
        }, bytes >= FileIngest.HASH_ASIDE_BYTES, "coral-file-hash", path + ": hashing")) {
            ObjectId head = lossyEps.isEmpty() ? null : repo.headCommit();
            ObjectId inHead = head == null ? null : repo.readTree(head).files().get(path);
            LossyEntry stored;
            try {
                stored = inHead == null ? new LossyEntry(storeTensors(path, tensors, metadata, ins, hashing), false)
                        : storeLossy(path, tensors, metadata, ins, inHead, lossyEps, hashing);
            } catch (IOException | RuntimeException e) {
                try {
                    hashing.result(); // a tensor the writer rejects fails as it did when it ran first
                } catch (IOException | RuntimeException w) {
                    if (w != e) { // the same one when the storing asked the writer itself
                        w.addSuppressed(e);
                    }
                    throw w;
                }
                throw e;
            }
            if (reads != null) {
                reads.verify(path); // both reads done: the file's checksums and the chunks
            }
            ObjectId entryId = stored.id();
            return new Repository.StagedChanges(Map.of(path, new StagingIndex.Entry(entryId, -1, 0, new byte[32])), List.of(), null,
                    inHead != null && !entryId.equals(inHead) ? Set.of(entryId) : Set.of(), stored.quantized(), Map.of());
        }
    }

    /** Stores every tensor, then the file entry with the header and checksums {@code hashing} gives. */
    private ObjectId storeTensors(String path, List<? extends TensorSource> tensors, Map<String, String> metadata, ObjectInserter ins,
                                  OverlappedTask<HeaderCapture> hashing) throws IOException {
        StagingIndex.Entry previous = repo.readIndex().entries().get(path);
        DeltaBases bases = DeltaBases.from(repo.graph(), previous == null ? null : previous.fileEntry());
        try (ChunkSink sink = ins.newChunkSink(repo.ingestThreads())) {
            TensorIngest ingest = new TensorIngest(ins, sink, repo.config().chunkBytes());
            SimilarBases similar = repo.similarBases();
            List<FileEntry.NamedTensor> named = ingest.storeAll(tensors, path, bases, similar);
            similar.save();
            HeaderCapture capture = hashing.result();
            FileEntry entry = new FileEntry("safetensors", capture.size, capture.sha.digest(), capture.crc.getValue(), capture.header(),
                    metadata, named);
            return ObjectGraph.write(ins, entry);
        }
    }

    /**
     * Stores the tensors as the lossy version of HEAD's entry {@code inHead} (bit-exact when no
     * tensor could be quantized), or returns {@code inHead} when they are what it holds (the same
     * file bytes).
     */
    private LossyEntry storeLossy(String path, List<? extends TensorSource> tensors, Map<String, String> metadata, ObjectInserter ins,
                                  ObjectId inHead, String eps, OverlappedTask<HeaderCapture> hashing) throws IOException {
        try (ChunkSink sink = ins.newChunkSink(repo.ingestThreads())) {
            LossyRewrite lossy = new LossyRewrite(repo.graph(), ins, sink, repo.config().chunkBytes());
            SimilarBases similar = repo.similarBases();
            LossyRewrite.Stored stored = lossy.storeTensors(tensors, inHead, eps, path, similar);
            similar.save();
            HeaderCapture capture = hashing.result();
            ObjectId id = lossy.entryFor(inHead, capture.sha.digest(), "safetensors", capture.header(), metadata, stored, eps, path);
            return new LossyEntry(id, lossy.wroteLossy());
        }
    }

    /** A file entry stored for a commit, and whether it is a lossy one (a tensor was quantized). */
    private record LossyEntry(ObjectId id, boolean quantized) {
    }

    /** Keeps the safetensors header (length prefix + JSON), hashes and counts everything. */
    private static final class HeaderCapture extends OutputStream {
        private final MessageDigest sha = ObjectId.sha256();
        private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        private final java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        private long size;
        private long headerLength = -1;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        /**
         * Both checksums a piece at a time, so the CRC reads what the SHA-256 just read from the
         * cache: 84 MB written as 4 MiB arrays, 76-84 ms of CPU with the CRC after the SHA-256 of
         * each array, 70-72.5 ms in 64 KiB pieces (three runs each, one JVM per run).
         */
        static final int PIECE = 64 << 10;

        @Override
        public void write(byte[] b, int off, int len) {
            for (int at = off, end = off + len; at < end; at += PIECE) {
                int n = Math.min(PIECE, end - at);
                ObjectId.update(sha, b, at, n);
                crc.update(b, at, n);
            }
            long keep = headerLength < 0 ? Math.max(0, 8 - size) : Math.max(0, headerLength - size);
            int k = (int) Math.min(keep, len);
            if (k > 0) {
                head.write(b, off, k);
            }
            size += len;
            if (headerLength < 0 && head.size() >= 8) {
                headerLength = 8 + ByteBuffer.wrap(head.toByteArray(), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                long more = Math.min(headerLength, size) - head.size();
                if (more > 0) {
                    head.write(b, off + k, (int) more);
                }
            }
        }

        byte[] header() {
            return head.toByteArray();
        }
    }
}
