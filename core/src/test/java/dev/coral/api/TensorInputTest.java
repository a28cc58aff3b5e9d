package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What fuzzing the Java API found (2026-12-04): input that gave a bare NullPointerException or
 * overflow, was changed in silence, or was committed so that no checkout could write it back, is
 * now one clear error naming the argument, sync and async, and the repository stays as it was.
 */
class TensorInputTest {
    @TempDir
    Path dir;

    /** A source that is not checked against its spec (Tensors.of checks it): a null stream when {@code bytes} is null. */
    private static TensorSource src(String name, TensorSpec spec, byte[] bytes) {
        return Tensors.source(name, spec, () -> bytes == null ? null : new java.io.ByteArrayInputStream(bytes));
    }

    private static final TensorSource OK = Tensors.of("w", TensorSpec.of(DType.F32, 2), new byte[8]);

    @Test
    void badInputIsOneErrorNamingItSyncAndAsync() throws Exception {
        CommitRequest req = CommitRequest.of("x");
        Map<String, String> none = Map.of();
        Map<String, String> nullValue = new java.util.HashMap<>();
        nullValue.put("k", null);
        List<TensorSource> withNull = new ArrayList<>();
        withNull.add(null);
        Object[][] cases = {
            {null, List.of(OK), none, req, "the path is null"},
            {"x.npy", List.of(OK), none, req, "ends in .safetensors"},
            {"noext", List.of(OK), none, req, "ends in .safetensors"},
            {"m.safetensors", null, none, req, "the list of tensors is null"},
            {"m.safetensors", withNull, none, req, "tensor 0 is null"},
            {"m.safetensors", List.of(src(null, TensorSpec.of(DType.U8, 1), new byte[1])), none, req, "has no name"},
            {"m.safetensors", List.of(src("w", null, new byte[1])), none, req, "has no spec"},
            {"m.safetensors", List.of(OK), null, req, "the metadata map is null"},
            {"m.safetensors", List.of(OK), nullValue, req, "metadata value of 'k' is null"},
            {"m.safetensors", List.of(OK), none, null, "the commit request is null"},
            {"m.safetensors", List.of(src("w\ud800", TensorSpec.of(DType.U8, 1), new byte[1])), none, req, "lone UTF-16 surrogate"},
            {"m.safetensors", List.of(OK), Map.of("k", "x\udfff"), req, "metadata value of 'k' holds a lone UTF-16 surrogate"},
            {"m.safetensors", List.of(src("nostream", TensorSpec.of(DType.U8, 1), null)), none, req,
                "tensor 'nostream': its source's openStream() gave null"},
            {"m.safetensors", List.of(src("q", TensorSpec.of(DType.F128, 1), new byte[16])), none, req,
                "tensor 'q': dtype F128, which a safetensors file cannot hold"},
            {"m.safetensors", List.of(OK, OK), none, req, "tensor 'w': the name appears twice"},
            {"m.safetensors", List.of(src("f", new TensorSpec(DType.U8, Shape.of(2, 3), true), new byte[6])), none, req,
                "tensor 'f': in Fortran order"},
            {"m.safetensors", List.of(src("huge", TensorSpec.of(DType.U8, 1L << 62), new byte[1]),
                src("huge2", TensorSpec.of(DType.U8, 1L << 62), new byte[1])), none, req, "more bytes than fit in a long"},
        };
        try (Repository repo = Repository.init(dir)) {
            for (Object[] c : cases) {
                @SuppressWarnings("unchecked")
                List<TensorSource> tensors = (List<TensorSource>) c[1];
                @SuppressWarnings("unchecked")
                Map<String, String> meta = (Map<String, String>) c[2];
                for (boolean async : new boolean[] {false, true}) {
                    BadInputException e = assertThrows(BadInputException.class, () -> {
                        if (async) {
                            repo.commitTensorsAsync((String) c[0], tensors, meta, (CommitRequest) c[3]);
                        } else {
                            repo.commitTensors((String) c[0], tensors, meta, (CommitRequest) c[3]);
                        }
                    }, Arrays.toString(c));
                    assertTrue(e.getMessage().contains((String) c[4]), async + " " + e.getMessage());
                    assertTrue(e.getMessage().indexOf('\n') < 0, e.getMessage());
                }
            }
            assertEquals(null, repo.headCommit(), "nothing committed");
            assertTrue(repo.fsck(false).clean());
        }
    }

    /** Tensors.of names the tensor whose spec is no whole number of bytes, or too large (it named none). */
    @Test
    void tensorsOfNamesTheTensorWhoseSizeCannotBe() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensors.of("w4", TensorSpec.of(DType.F4, 3), new byte[2]));
        assertTrue(e.getMessage().startsWith("tensor 'w4': 3 elements of F4 do not fill whole bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensors.of("big", TensorSpec.of(DType.F64, 1L << 61), new byte[1]));
        assertTrue(e.getMessage().startsWith("tensor 'big': ") && e.getMessage().contains("more bytes than fit in a long"), e.getMessage());
    }

    /** The caller's metadata order is kept by an asynchronous commit as by a synchronous one (Map.copyOf lost it). */
    @Test
    void anAsynchronousCommitKeepsTheMetadataOrder() throws Exception {
        Map<String, String> meta = new LinkedHashMap<>();
        for (String k : List.of("zeta", "alpha", "mid", "lr", "omega", "beta", "step", "a1", "z9")) {
            meta.put(k, k.toUpperCase());
        }
        try (Repository repo = Repository.init(dir)) {
            ObjectId sync = repo.commitTensors("s.safetensors", List.of(OK), meta, CommitRequest.of("sync"));
            ObjectId async = repo.commitTensorsAsync("a.safetensors", List.of(OK), meta, CommitRequest.of("async")).get();
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(repo.fileAt(sync.hex(), "s.safetensors").metadata().keySet()));
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(repo.fileAt(async.hex(), "a.safetensors").metadata().keySet()));
            assertEquals(repo.fileAt(sync.hex(), "s.safetensors").fileSha256().length, 32);
            assertTrue(Arrays.equals(repo.fileAt(sync.hex(), "s.safetensors").fileSha256(),
                    repo.fileAt(async.hex(), "a.safetensors").fileSha256()), "the same file either way");
        }
    }

    /**
     * An action attached to a commit's future runs on the commit thread; a third checkpoint it
     * submits would wait for that thread (it deadlocked, and close() with it). It is refused.
     */
    @Test
    void aCheckpointTheCommitThreadWouldWaitForIsRefused() throws Exception {
        Random r = new Random(7);
        List<Object> outcomes = new CopyOnWriteArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            CompletableFuture<ObjectId> first = repo.commitTensorsAsync("m.safetensors", List.of(f32(r)), Map.of(), CommitRequest.of("outer"));
            first.thenRun(() -> {
                for (int i = 0; i < 3; i++) {
                    try {
                        outcomes.add(repo.commitTensorsAsync("m.safetensors", List.of(f32(r)), Map.of(), CommitRequest.of("inner " + i)));
                    } catch (Exception | Error e) {
                        outcomes.add(e);
                    }
                }
            }).get(60, TimeUnit.SECONDS);
            assertEquals(3, outcomes.size());
            assertTrue(outcomes.get(2) instanceof IllegalStateException e && e.getMessage().contains("thenRunAsync"), outcomes.toString());
            for (int i = 0; i < 2; i++) {
                assertTrue(((CompletableFuture<?>) outcomes.get(i)).get(60, TimeUnit.SECONDS) instanceof ObjectId);
            }
        }
    }

    /** A file and a folder of the same name cannot both be committed: no checkout could write them (they were taken). */
    @Test
    void aFileWhereAnotherFilesFolderIsIsRefused() throws Exception {
        try (Repository repo = Repository.init(dir)) {
            repo.commitTensors("a/b.safetensors", List.of(OK), Map.of(), CommitRequest.of("b"));
            BadInputException e = assertThrows(BadInputException.class,
                    () -> repo.commitTensors("a", List.of(OK), Map.of(), CommitRequest.of("a")));
            assertTrue(e.getMessage().contains("ends in .safetensors"), e.getMessage());
            repo.commitTensors("c.safetensors/d.safetensors", List.of(OK), Map.of(), CommitRequest.of("d"));
            e = assertThrows(BadInputException.class, () -> repo.commitTensors("c.safetensors", List.of(OK), Map.of(), CommitRequest.of("c")));
            assertTrue(e.getMessage().contains("'c.safetensors' and 'c.safetensors/d.safetensors': a file and a folder"), e.getMessage());
            ObjectId head = repo.headCommit();
            repo.checkout("HEAD", true);
            assertEquals(head, repo.headCommit());
            assertTrue(repo.fsck(false).clean());
        }
    }

    /**
     * A checkpoint is read twice (the file's checksums, its chunks). Tensors whose bytes changed
     * between the reads (a training thread writing them during commitTensors) were committed, fsck
     * called the commit clean, and no checkout could write the file back. Now the commit fails,
     * naming the tensor, whether the change is small or large, and nothing is committed.
     */
    @Test
    void aTensorWhoseBytesChangeBetweenItsReadsFailsTheCommit() throws Exception {
        try (Repository repo = Repository.init(dir)) {
            ObjectId before = repo.commitTensors("m.safetensors", List.of(OK), Map.of(), CommitRequest.of("first"));
            for (int size : new int[] {8, 1 << 20}) {
                int[] opens = {0};
                TensorSource shifting = new TensorSource() {
                    @Override
                    public String name() {
                        return "moving";
                    }

                    @Override
                    public TensorSpec spec() {
                        return TensorSpec.of(DType.F32, size / 4);
                    }

                    @Override
                    public InputStream openStream() {
                        byte[] b = new byte[size];
                        b[size - 1] = (byte) ++opens[0]; // one byte differs from one read to the next
                        return new java.io.ByteArrayInputStream(b);
                    }
                };
                BadInputException e = assertThrows(BadInputException.class,
                        () -> repo.commitTensors("m.safetensors", List.of(OK, shifting), Map.of(), CommitRequest.of("moving")));
                assertTrue(e.getMessage().contains("tensor 'moving' changed while it was being committed"), e.getMessage());
                assertTrue(opens[0] >= 2, "read twice");
                assertEquals(before, repo.headCommit(), "nothing committed");
            }
            assertTrue(repo.fsck(false).clean());
            repo.checkout("HEAD", true);
        }
    }

    /** A closed handle refuses writes (commits, checkout, gc, repack went on after close), reads still work. */
    @Test
    void aClosedHandleRefusesWrites() throws Exception {
        Repository repo = Repository.init(dir);
        ObjectId c = repo.commitTensors("m.safetensors", List.of(OK), Map.of(), CommitRequest.of("one"));
        repo.commitTensorsAsync("m.safetensors", List.of(f32(new Random(1))), Map.of(), CommitRequest.of("two, queued before close"));
        repo.close();
        for (org.junit.jupiter.api.function.Executable write : List.<org.junit.jupiter.api.function.Executable>of(
                () -> repo.commitTensors("m.safetensors", List.of(OK), Map.of(), CommitRequest.of("after close")),
                () -> repo.commitTensorsAsync("m.safetensors", List.of(OK), Map.of(), CommitRequest.of("after close")),
                () -> repo.checkout(c.hex(), true),
                () -> repo.gc(false, java.time.Duration.ZERO),
                () -> repo.repack())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, write);
            assertTrue(e.getMessage().startsWith("the repository handle is closed: "), e.getMessage());
        }
        try (Repository again = Repository.open(dir)) {
            assertEquals("two, queued before close", again.readCommit(again.headCommit()).subject(), "the queued commit landed");
            assertTrue(again.fsck(false).clean());
        }
    }

    private static TensorSource f32(Random r) {
        byte[] b = new byte[40];
        r.nextBytes(b);
        return Tensors.of("w", TensorSpec.of(DType.F32, 10), b);
    }
}
