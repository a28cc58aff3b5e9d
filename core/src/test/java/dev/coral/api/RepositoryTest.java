package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.error.NotARepositoryException;
import dev.coral.error.UnknownRevisionException;
import dev.coral.format.TensorSource;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
    @TempDir
    Path dir;

    @Test
    void commitAndCheckoutRestoresByteIdenticalSafetensors() throws IOException {
        Path model = TestModels.writeSafetensors(dir.resolve("model.safetensors"), TestModels.randomTensors(1, 5, 3000));
        String v1 = TestModels.sha256(model);
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024))) {
            repo.add(List.of(model));
            ObjectId c1 = repo.commit(CommitRequest.of("epoch 1").withMetrics(Map.of("loss", "0.42")));
            TestModels.writeSafetensors(model, TestModels.randomTensors(2, 5, 3000));
            String v2 = TestModels.sha256(model);
            repo.add(List.of(model));
            ObjectId c2 = repo.commit(CommitRequest.of("epoch 2"));
            assertEquals(List.of(c1), repo.readCommit(c2).parents());
            assertEquals("0.42", repo.readCommit(c1).metrics().get("loss"));

            repo.checkout("HEAD~1", false);
            assertEquals(v1, TestModels.sha256(model));
            assertNull(repo.currentBranch(), "checking out a commit detaches HEAD");
            repo.checkout("main", false);
            assertEquals(v2, TestModels.sha256(model));
            assertEquals("main", repo.currentBranch());
            repo.checkoutPaths(c1.hex().substring(0, 8), List.of(model));
            assertEquals(v1, TestModels.sha256(model));
            assertEquals("main", repo.currentBranch());
        }
    }

    @Test
    void addingTheSameModelTwiceWritesNoChunk() throws IOException {
        Path model = TestModels.writeSafetensors(dir.resolve("a/model.safetensors"), TestModels.randomTensors(3, 4, 5000));
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(4096))) {
            Repository.AddResult first = repo.add(List.of(model));
            assertTrue(first.chunksWritten() > 4);
            repo.commit(CommitRequest.of("one"));
            Files.copy(model, dir.resolve("copy.safetensors"));
            Repository.AddResult second = repo.add(List.of(dir.resolve("copy.safetensors")));
            assertEquals(0, second.chunksWritten(), "a copy under another name adds no chunk");
            assertEquals(first.chunksWritten(), second.chunksDeduplicated());
        }
    }

    @Test
    void sameTensorUnderAnotherNameIsStoredOnce() throws IOException {
        byte[] data = new byte[40_000];
        new java.util.Random(9).nextBytes(data);
        Path a = TestModels.writeSafetensors(dir.resolve("a.safetensors"),
                List.of(Tensors.of("x", TensorSpec.of(DType.F32, 10_000), data)));
        Path b = TestModels.writeSafetensors(dir.resolve("b.safetensors"),
                List.of(Tensors.of("renamed", TensorSpec.of(DType.F32, 10_000), data),
                        Tensors.of("other", TensorSpec.of(DType.U8, 4), new byte[] {1, 2, 3, 4})));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a));
            Repository.AddResult r = repo.add(List.of(b));
            assertEquals(1, r.chunksWritten(), "only the new 4-byte tensor is written");
        }
    }

    @Test
    void recommittingAnUnchangedLargeModelAddsUnderFourKiB() throws IOException {
        // 100 MB of float32 in 4 tensors; compressible enough to keep the test quick.
        List<TensorSource> tensors = new ArrayList<>();
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 4; i++) {
            byte[] b = new byte[25_000_000];
            for (int k = 0; k < b.length; k += 4) {
                float f = (float) r.nextGaussian();
                ByteBuffer.wrap(b, k, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(f);
            }
            tensors.add(Tensors.of("w" + i, TensorSpec.of(DType.F32, b.length / 4), b));
        }
        Path model = TestModels.writeSafetensors(dir.resolve("big.safetensors"), tensors);
        tensors.clear();
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(model));
            repo.commit(CommitRequest.of("v1"));
            long before = TestModels.coralSize(dir);
            Files.setLastModifiedTime(model, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
            repo.add(List.of(model));
            assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("v2")), "nothing changed");
            Files.createDirectories(dir.resolve("sub"));
            Files.copy(model, dir.resolve("sub/big.safetensors"));
            repo.add(List.of(dir.resolve("sub")));
            repo.commit(CommitRequest.of("same model under a second name"));
            long added = TestModels.coralSize(dir) - before;
            assertTrue(added < 4096, "re-committing an unchanged 100 MB model added " + added + " bytes");
        }
    }

    @Test
    void multiChunkTensorsReadBackAsStreamAndByteBuffers() throws IOException {
        byte[] data = new byte[10_007 * 8];
        new java.util.Random(11).nextBytes(data);
        Path model = TestModels.writeSafetensors(dir.resolve("m.safetensors"),
                List.of(Tensors.of("w", TensorSpec.of(DType.F64, 10_007), data)));
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1000))) {
            repo.add(List.of(model));
            repo.commit(CommitRequest.of("m"));
            StoredTensor t = repo.tensor("HEAD", "m.safetensors", "w");
            assertEquals(81, t.object().chunks().size(), "1000-byte chunks cut down to 8-byte elements: 992 bytes each");
            try (InputStream in = t.openVerifiedStream()) {
                assertArrayEquals(data, in.readAllBytes());
            }
            ByteBuffer all = ByteBuffer.allocate(data.length);
            for (Iterator<ByteBuffer> it = t.chunks(); it.hasNext(); ) {
                ByteBuffer b = it.next();
                assertTrue(b.isReadOnly());
                all.put(b);
            }
            assertArrayEquals(data, all.array());
        }
    }

    @Test
    void inMemoryTensorsCommitAndCheckOutAsSafetensors() throws IOException {
        byte[] w = new byte[4 * 6];
        new java.util.Random(4).nextBytes(w);
        try (Repository repo = Repository.init(dir)) {
            repo.stageTensors("ckpt/model.safetensors", List.of(
                    Tensors.of("w", TensorSpec.of(DType.F32, 2, 3), w),
                    Tensors.of("s", new TensorSpec(DType.I64, dev.coral.tensor.Shape.scalar(), false), new byte[8])),
                    Map.of("step", "7"));
            assertTrue(repo.status().notStaged().isEmpty(), "a tensor map has no working file to differ from");
            repo.commit(CommitRequest.of("from memory"));
            repo.checkout("HEAD", true);
            Path f = dir.resolve("ckpt/model.safetensors");
            assertTrue(Files.exists(f));
            assertEquals(repo.fileAt("HEAD", "ckpt/model.safetensors").fileSize(), Files.size(f));
            try (InputStream in = repo.tensor("HEAD", "ckpt/model.safetensors", "w").openStream()) {
                assertArrayEquals(w, in.readAllBytes());
            }
        }
    }

    @Test
    void statusShowsStagedModifiedAndUntracked() throws IOException {
        Path a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 2, 10));
        Path b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(2, 2, 10));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a));
            Status s = repo.status();
            assertEquals(List.of(new Status.Change(Status.Kind.ADDED, "a.safetensors")), s.staged());
            assertEquals(List.of("b.safetensors"), s.untracked());
            repo.commit(CommitRequest.of("a"));
            TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 10));
            s = repo.status();
            assertTrue(s.staged().isEmpty());
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "a.safetensors")), s.notStaged());
            String edited = TestModels.sha256(a);
            repo.checkout("HEAD", false);
            assertEquals(edited, TestModels.sha256(a), "a plain checkout keeps local edits");
            repo.checkout("HEAD", true);
            assertTrue(repo.status().notStaged().isEmpty(), "a forced checkout restores the committed file");
            TestModels.writeSafetensors(a, TestModels.randomTensors(4, 2, 10));
            repo.add(List.of(a));
            repo.commit(CommitRequest.of("a2"));
            TestModels.writeSafetensors(a, TestModels.randomTensors(5, 2, 10));
            assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false), "local changes are not overwritten");
            assertThrows(BadInputException.class, () -> repo.remove(List.of(a), false), "local changes are not deleted either");
            repo.remove(List.of(a), false, true);
            assertFalse(Files.exists(a));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "a.safetensors")), repo.status().staged());
        }
    }

    @Test
    void branchesTagsAndRevisionSyntax() throws IOException {
        Path m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.init(dir)) {
            List<ObjectId> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                TestModels.writeSafetensors(m, TestModels.randomTensors(100 + i, 2, 50));
                repo.add(List.of(m));
                ids.add(repo.commit(CommitRequest.of("c" + i)));
            }
            assertEquals(ids.get(2), repo.resolve("HEAD^"));
            assertEquals(ids.get(1), repo.resolve("HEAD~2"));
            assertEquals(ids.get(0), repo.resolve("HEAD~1^^"));
            assertEquals(ids.get(3), repo.resolve("main"));
            assertEquals(ids.get(1), repo.resolve(ids.get(1).abbreviate(7)));
            repo.createTag("light", "HEAD~3", null);
            repo.createTag("v1", "HEAD~1", "best so far");
            assertEquals(ids.get(0), repo.resolve("light"));
            assertEquals(ids.get(2), repo.resolve("v1"));
            assertEquals("best so far", repo.tagObject("v1").message());
            assertThrows(BadInputException.class, () -> repo.createTag("v1", "HEAD", null));
            repo.createBranch("exp", "HEAD~1");
            repo.switchBranch("exp", false, false);
            assertEquals("exp", repo.currentBranch());
            assertEquals(ids.get(2), repo.headCommit());
            List<CommitWalk.Entry> log = repo.log("main", -1);
            assertEquals(4, log.size());
            assertEquals(ids.get(3), log.get(0).id());
            assertEquals(2, repo.log("HEAD", 2).size());
            assertThrows(UnknownRevisionException.class, () -> repo.resolve("nope"));
            assertThrows(UnknownRevisionException.class, () -> repo.resolve("HEAD~9"));
            assertThrows(BadInputException.class, () -> repo.createBranch("../evil", "HEAD"));
        }
    }

    @Test
    void openingAPlainFolderFailsClearly() {
        NotARepositoryException e = assertThrows(NotARepositoryException.class, () -> Repository.discover(dir));
        assertTrue(e.getMessage().contains("not inside a Coral repository"), e.getMessage());
    }

    @Test
    void badFilesLeaveTheRepositoryUnchanged() throws IOException {
        Path good = TestModels.writeSafetensors(dir.resolve("good.safetensors"), TestModels.randomTensors(1, 3, 100));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(good));
            repo.commit(CommitRequest.of("good"));
            String before = TestModels.listing(dir);
            byte[] bytes = Files.readAllBytes(good);
            Path truncated = dir.resolve("truncated.safetensors");
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 3));
            Path lying = dir.resolve("lying.safetensors");
            byte[] lie = bytes.clone();
            ByteBuffer.wrap(lie).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
            Files.write(lying, lie);
            Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
            Path evilZip = dir.resolve("evil.npz");
            Path npy = TestModels.writeNpy(dir.resolve("tmp/x.npy"), Tensors.of("x", TensorSpec.of(DType.U8, 2), new byte[] {1, 2}));
            try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(evilZip))) {
                zip.putNextEntry(new java.util.zip.ZipEntry("../evil.npy"));
                zip.write(Files.readAllBytes(npy));
                zip.closeEntry();
            }
            Files.delete(npy);
            Path hugeShape = dir.resolve("huge.safetensors");
            String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}";
            ByteBuffer hb = ByteBuffer.allocate(8 + header.length() + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            hb.putLong(header.length()).put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(0);
            Files.write(hugeShape, hb.array());
            for (Path bad : List.of(truncated, lying, text, evilZip, hugeShape, dir.resolve("missing.npy"), dir.resolve("../outside.npy"))) {
                BadInputException e = assertThrows(BadInputException.class, () -> repo.add(List.of(good, bad)), bad.toString());
                assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
                assertTrue(e.getMessage().contains(bad.getFileName().toString()), e.getMessage());
            }
            assertEquals(before, TestModels.listing(dir), "a failed add leaves .coral as it was");
            assertThrows(UnknownRevisionException.class, () -> repo.checkout("v9", false));
            assertEquals(before, TestModels.listing(dir));
        }
    }

    @Test
    void npyFilesRoundTripByteIdentical() throws IOException {
        byte[] data = new byte[8 * 12];
        new java.util.Random(2).nextBytes(data);
        Path npy = TestModels.writeNpy(dir.resolve("extra/old.npy"), Tensors.of("arr", TensorSpec.of(DType.I64, 3, 4), data));
        String sha = TestModels.sha256(npy);
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(dir.resolve("extra")));
            repo.commit(CommitRequest.of("npy"));
            Files.delete(npy);
            repo.checkout("HEAD", true);
            assertEquals(sha, TestModels.sha256(npy));
            repo.export("HEAD", "extra/old.npy", dir.resolve("out.npz"), null);
            assertTrue(Files.size(dir.resolve("out.npz")) > 0);
        }
    }
}
