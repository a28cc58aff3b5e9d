package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.store.ChunkReadAhead;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkout verifies every byte it writes: by the CRC32C and size recorded at add (entries from
 * version 3), by SHA-256 for entries that predate it; a mismatch is a one-line error naming the
 * file and leaves the target untouched. Tensors of several chunks are read through the
 * read-ahead decoder threads and come back identical.
 */
class FileRestoreVerificationTest {
    @TempDir
    Path dir;

    private static final int CHUNK = 4096;

    private record Stored(ObjectStore store, FileEntry entry, byte[] bytes) {
    }

    private Stored ingest(long seed) throws IOException {
        Random r = new Random(seed);
        List<TensorSource> tensors = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = 1 + r.nextInt(9000); // up to ~9 chunks of 4 KiB each
            byte[] b = new byte[n * 4];
            r.nextBytes(b);
            tensors.add(new ArrayTensor("t" + i, TensorSpec.of(DType.F32, n), b));
        }
        WeightFileFormat safetensors = WeightFormats.byName("safetensors").orElseThrow();
        Path file = dir.resolve("model.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            safetensors.write(tensors, Map.of("step", "1"), out);
        }
        ObjectStore store = new ObjectStore(dir.resolve("packs"), 1);
        ObjectId entryId;
        try (ObjectInserter ins = store.newInserter()) {
            entryId = new FileIngest(ins, CHUNK).ingest(file, safetensors).entryId();
            ins.flush();
        }
        FileEntry entry = new ObjectGraph(store).file(entryId);
        return new Stored(store, entry, Files.readAllBytes(file));
    }

    @Test
    void aRestoredFileIsVerifiedByItsRecordedCrc() throws IOException {
        Stored s = ingest(1);
        try (ObjectStore store = s.store()) {
            CRC32C crc = new CRC32C();
            crc.update(s.bytes());
            assertEquals(crc.getValue(), s.entry().fileCrc32c());
            Path target = dir.resolve("out.safetensors");
            FileRestore.Restored r = new FileRestore(new ObjectGraph(store)).restore(s.entry(), target, "out.safetensors");
            assertArrayEquals(s.bytes(), Files.readAllBytes(target));
            assertArrayEquals(s.entry().fileSha256(), r.stat().sha256());
            assertEquals(dev.coral.io.BootId.current().isPresent(), r.unsynced(), "unsynced exactly where boots have ids");
        }
    }

    /**
     * A staging entry naming what the target holds is a hint only: one naming an object the store
     * lacks, or another file's version, or a target holding other bytes than it names, leaves the
     * file restored from the store as committed.
     */
    @Test
    void aWrongHintAboutTheFileBeingReplacedChangesNothing() throws IOException {
        Stored s = ingest(6);
        Stored other = ingest(7); // the same packs folder: both versions are in the store
        try (ObjectStore store = other.store()) {
            s.store().close();
            FileRestore restore = new FileRestore(new ObjectGraph(store));
            Path target = dir.resolve("out.safetensors");
            byte[] random = new byte[other.bytes().length];
            new Random(8).nextBytes(random);
            ObjectId otherId = ObjectId.hashOf(other.entry().encode());
            StagingIndex.Entry[] hints = {
                new StagingIndex.Entry(ObjectId.hashOf(new byte[] {1}), other.bytes().length, StagingIndex.UNVERIFIED, new byte[32]),
                new StagingIndex.Entry(otherId, other.bytes().length, StagingIndex.UNVERIFIED, new byte[32]),
            };
            for (StagingIndex.Entry hint : hints) {
                Files.write(target, random); // not the version the hint names
                restore.restore(s.entry(), target, "out.safetensors", hint);
                assertArrayEquals(s.bytes(), Files.readAllBytes(target));
            }
        }
    }

    @Test
    void bothWaysOfWritingRestoreTheSameBytesOverAnOldFile() throws IOException {
        Stored s = ingest(5);
        try (ObjectStore store = s.store()) {
            FileRestore restore = new FileRestore(new ObjectGraph(store));
            Path target = dir.resolve("out.safetensors");
            for (boolean unsynced : new boolean[] {false, true, false, true}) {
                Files.write(target, new byte[(int) (s.bytes().length * (unsynced ? 2L : 1L)) / 2 + 1]); // an older, other file
                FileRestore.Restored r = restore.restoreOnce(s.entry(), target, "out.safetensors", unsynced, null);
                assertEquals(unsynced, r.unsynced());
                assertArrayEquals(s.bytes(), Files.readAllBytes(target), "unsynced " + unsynced);
                assertEquals(s.bytes().length, r.stat().size());
                assertEquals(Files.getLastModifiedTime(target).toMillis(), r.stat().mtimeMillis());
                try (var files = Files.list(dir)) {
                    assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")), "unsynced " + unsynced + ": a file left beside it");
                }
            }
        }
    }

    @Test
    void aWrongCrcIsCaughtAndTheTargetKept() throws IOException {
        Stored s = ingest(2);
        try (ObjectStore store = s.store()) {
            FileEntry e = s.entry();
            FileEntry lying = withChecksums(e, e.fileSha256(), (e.fileCrc32c() + 1) & 0xFFFFFFFFL);
            Path target = dir.resolve("out.safetensors");
            Files.writeString(target, "previous");
            CorruptObjectException x = assertThrows(CorruptObjectException.class,
                    () -> new FileRestore(new ObjectGraph(store)).restore(lying, target, "out.safetensors"));
            assertTrue(x.getMessage().startsWith("out.safetensors: restored"), x.getMessage());
            assertFalse(x.getMessage().contains("\n"));
            assertEquals("previous", Files.readString(target));
            try (var files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")), "temporary left behind");
            }
        }
    }

    @Test
    void anEntryWithoutCrcIsVerifiedBySha256() throws IOException {
        Stored s = ingest(3);
        try (ObjectStore store = s.store()) {
            FileEntry e = s.entry();
            FileEntry old = withChecksums(e, e.fileSha256(), -1);
            Path target = dir.resolve("out.safetensors");
            new FileRestore(new ObjectGraph(store)).restore(old, target, "out.safetensors");
            assertArrayEquals(s.bytes(), Files.readAllBytes(target));
            byte[] wrongSha = e.fileSha256().clone();
            wrongSha[0] ^= 1;
            FileEntry lying = withChecksums(e, wrongSha, -1);
            CorruptObjectException x = assertThrows(CorruptObjectException.class,
                    () -> new FileRestore(new ObjectGraph(store)).restore(lying, target, "out.safetensors"));
            assertTrue(x.getMessage().contains("sha256"), x.getMessage());
        }
    }

    @Test
    void anEntryRoundTripsItsCrcAndOlderVersionsReadWithout() throws IOException {
        Stored s = ingest(4);
        try (ObjectStore store = s.store()) {
            FileEntry e = s.entry();
            assertEquals(e, withSameArrays(FileEntry.decode(e.encode(), dev.coral.store.ObjectId.hashOf(e.encode(), 0, e.encode().length)), e));
            FileEntry unknown = withChecksums(e, e.fileSha256(), -1);
            assertEquals(-1, FileEntry.decode(unknown.encode(), dev.coral.store.ObjectId.hashOf(unknown.encode(), 0, unknown.encode().length)).fileCrc32c());
            assertThrows(IllegalArgumentException.class, () -> withChecksums(e, e.fileSha256(), 1L << 32));
        }
    }

    @Test
    void aVersion2EntryWrittenBeforeTheCrcDecodesAndChecksOutBySha256() throws IOException {
        Stored s = ingest(7);
        try (ObjectStore store = s.store()) {
            FileEntry e = s.entry();
            // The layout of version 2, as the previous release wrote it: no CRC field at the end.
            dev.coral.io.BinaryWriter w = ObjectEnvelope.begin(dev.coral.store.ObjectKind.FILE, 2);
            w.string(e.format()).varLong(e.fileSize()).bytes(e.fileSha256()).blob(e.restoreInfo()).varInt(e.metadata().size());
            e.metadata().forEach((k, v) -> w.string(k).string(v));
            w.varInt(e.tensors().size());
            for (FileEntry.NamedTensor t : e.tensors()) {
                w.string(t.name()).bytes(t.tensorId().toBytes());
            }
            w.string(e.lossyEps());
            byte[] v2 = w.toByteArray();
            FileEntry old = FileEntry.decode(v2, dev.coral.store.ObjectId.hashOf(v2, 0, v2.length));
            assertFalse(old.hasFileCrc32c());
            assertEquals(e.tensors(), old.tensors());
            Path target = dir.resolve("old.safetensors");
            new FileRestore(new ObjectGraph(store)).restore(old, target, "old.safetensors");
            assertArrayEquals(s.bytes(), Files.readAllBytes(target));
        }
    }

    @Test
    void multiChunkTensorsReadAheadInOrderAndStopCleanly() throws IOException {
        Stored s = ingest(5);
        try (ObjectStore store = s.store()) {
            List<StoredTensor> tensors = new FileRestore(new ObjectGraph(store)).tensors(s.entry());
            for (StoredTensor t : tensors) {
                byte[] whole;
                try (InputStream in = t.openVerifiedStream()) {
                    whole = in.readAllBytes();
                }
                assertEquals(t.spec().byteSize(), whole.length);
                try (InputStream in = t.openStream()) {
                    byte[] head = in.readNBytes(Math.min(whole.length, CHUNK + 7)); // stop inside the second chunk
                    for (int i = 0; i < head.length; i++) {
                        assertEquals(whole[i], head[i]);
                    }
                }
            }
            assertTrue(ChunkReadAhead.THREADS >= 1);
        }
    }

    @Test
    void aLargeFileIsHashedOnItsOwnThreadToTheSameDigests() throws IOException {
        int n = (17 << 20) / 4; // above the threshold for hashing on a thread of its own
        byte[] b = new byte[n * 4];
        new Random(6).nextBytes(b);
        WeightFileFormat safetensors = WeightFormats.byName("safetensors").orElseThrow();
        Path file = dir.resolve("big.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            safetensors.write(List.of(new ArrayTensor("w", TensorSpec.of(DType.F32, n), b)), Map.of(), out);
        }
        byte[] bytes = Files.readAllBytes(file);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1); ObjectInserter ins = store.newInserter()) {
            ObjectId id = new FileIngest(ins, 1 << 20).ingest(file, safetensors).entryId();
            ins.flush();
            FileEntry got = new ObjectGraph(store).file(id);
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            assertEquals(crc.getValue(), got.fileCrc32c());
            assertArrayEquals(ObjectId.sha256().digest(bytes), got.fileSha256());
            assertEquals(bytes.length, got.fileSize());
        }
    }

    /** {@code e} with another recorded SHA-256 and CRC32C (-1: none recorded). */
    private static FileEntry withChecksums(FileEntry e, byte[] sha, long crc) {
        return new FileEntry(e.format(), e.fileSize(), sha, e.restoreInfo(), e.metadata(), e.tensors(), e.lossyEps(), crc);
    }

    private static FileEntry withSameArrays(FileEntry decoded, FileEntry original) {
        assertArrayEquals(original.fileSha256(), decoded.fileSha256());
        assertArrayEquals(original.restoreInfo(), decoded.restoreInfo());
        return new FileEntry(decoded.format(), decoded.fileSize(), original.fileSha256(), original.restoreInfo(), decoded.metadata(),
                decoded.tensors(), decoded.lossyEps(), decoded.fileCrc32c());
    }

    private record ArrayTensor(String name, TensorSpec spec, byte[] bytes) implements TensorSource {
        @Override
        public InputStream openStream() {
            return new ByteArrayInputStream(bytes);
        }
    }
}
