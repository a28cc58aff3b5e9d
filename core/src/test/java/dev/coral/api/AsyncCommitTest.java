package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Repository#commitTensorsAsync}: commits land in the order submitted and read back
 * bit-exact, the caller's arrays are free once the call returns, a failed commit fails its future
 * alone, bad input fails in the caller, at most two copies are held, and close waits for all.
 */
class AsyncCommitTest {
    @TempDir
    Path dir;

    private static final String PATH = "ckpt/model.safetensors";

    /** A checkpoint of two tensors: w (rows x 64 floats, drifting from version to version) and b. */
    private static byte[][] version(SplittableRandom r, byte[][] previous, int rows) {
        byte[][] out = new byte[2][];
        out[0] = previous == null ? new byte[rows * 64 * 4] : previous[0].clone();
        out[1] = new byte[16 * 2];
        for (int i = 0; i < out[0].length; i += 4) {
            if (previous == null || r.nextInt(4) == 0) {
                int bits = Float.floatToRawIntBits((float) r.nextGaussian() * 0.05f);
                out[0][i] = (byte) bits;
                out[0][i + 1] = (byte) (bits >>> 8);
                out[0][i + 2] = (byte) (bits >>> 16);
                out[0][i + 3] = (byte) (bits >>> 24);
            }
        }
        r.nextBytes(out[1]);
        return out;
    }

    private static List<TensorSource> tensors(byte[][] v) {
        return List.of(Tensors.of("w", TensorSpec.of(DType.F32, v[0].length / 256, 64), v[0]),
                Tensors.of("b", TensorSpec.of(DType.BF16, 16), v[1]));
    }

    private static byte[] read(Repository repo, String rev, String name) throws IOException {
        try (InputStream in = repo.tensor(rev, PATH, name).openStream()) {
            return in.readAllBytes();
        }
    }

    @RepeatedTest(3)
    void commitsLandInTheOrderSubmittedAndReadBackBitExact(RepetitionInfo rep) throws IOException {
        long seed = 90 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int versions = 6 + r.nextInt(8);
        List<byte[][]> committed = new ArrayList<>();
        List<CompletableFuture<ObjectId>> futures = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            byte[][] v = null;
            for (int s = 0; s < versions; s++) {
                v = version(r, v, 8 + r.nextInt(40));
                committed.add(new byte[][] {v[0].clone(), v[1].clone()});
                futures.add(repo.commitTensorsAsync(PATH, tensors(v), Map.of("step", "" + s), CommitRequest.of("step " + s)));
            }
        } // close waits for every commit submitted
        for (CompletableFuture<ObjectId> f : futures) {
            assertTrue(f.isDone(), "seed " + seed + ": a commit was still running after close");
        }
        try (Repository repo = Repository.open(dir)) {
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            assertEquals(versions, log.size(), "seed " + seed);
            for (int s = 0; s < versions; s++) {
                CommitWalk.Entry e = log.get(versions - 1 - s);
                assertEquals("step " + s, e.commit().message(), "seed " + seed);
                assertEquals(futures.get(s).join(), e.id(), "seed " + seed + ": the future gives the commit's id");
                String rev = "HEAD~" + (versions - 1 - s);
                assertArrayEquals(committed.get(s)[0], read(repo, rev, "w"), "seed " + seed + ", step " + s);
                assertArrayEquals(committed.get(s)[1], read(repo, rev, "b"), "seed " + seed + ", step " + s);
            }
            assertTrue(repo.fsck(false).clean(), "seed " + seed);
        }
    }

    /**
     * A tensor larger than one array is copied into pieces ({@code AsyncCommits.PIECE}, 1 GiB;
     * here pieces of a few bytes): it reads back as the same bytes and stores as the same tensor.
     */
    @RepeatedTest(4)
    void aTensorCopiedInPiecesIsTheSameTensor(RepetitionInfo rep) throws IOException {
        long seed = 120 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[4 * (1 + r.nextInt(3000))];
        r.nextBytes(b);
        TensorSource whole = Tensors.of("w", TensorSpec.of(DType.F32, b.length / 4), b);
        int piece = 1 + r.nextInt(b.length + 8);
        TensorSource copy = AsyncCommits.copyOf(whole, piece);
        try (InputStream in = copy.openStream()) {
            assertArrayEquals(b, in.readAllBytes(), "seed " + seed + ", pieces of " + piece);
        }
        try (Repository repo = Repository.init(dir)) {
            ObjectId a = repo.commitTensors(PATH, List.of(whole), Map.of(), CommitRequest.of("whole"));
            ObjectId t1 = repo.readFileEntry(repo.readTree(a).files().get(PATH)).tensors().get(0).tensorId();
            repo.commitTensors("other.safetensors", List.of(copy), Map.of(), CommitRequest.of("pieces"));
            ObjectId t2 = repo.readFileEntry(repo.readTree(repo.headCommit()).files().get("other.safetensors")).tensors().get(0).tensorId();
            assertEquals(t1, t2, "seed " + seed + ", pieces of " + piece);
        }
    }

    @Test
    void theCallersArraysMayChangeOnceTheCallReturns() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        byte[][] v = version(r, null, 32);
        byte[][] kept = {v[0].clone(), v[1].clone()};
        try (Repository repo = Repository.init(dir)) {
            CompletableFuture<ObjectId> f = repo.commitTensorsAsync(PATH, tensors(v), Map.of(), CommitRequest.of("one"));
            java.util.Arrays.fill(v[0], (byte) 0x7F); // the training step that follows
            java.util.Arrays.fill(v[1], (byte) 0x7F);
            f.join();
            assertArrayEquals(kept[0], read(repo, "HEAD", "w"));
            assertArrayEquals(kept[1], read(repo, "HEAD", "b"));
        }
    }

    @Test
    void aFailedCommitFailsItsFutureAloneAndLaterOnesRun() throws IOException {
        SplittableRandom r = new SplittableRandom(8);
        byte[][] v1 = version(r, null, 16);
        byte[][] v2 = version(r, v1, 16);
        try (Repository repo = Repository.init(dir)) {
            CompletableFuture<ObjectId> first = repo.commitTensorsAsync(PATH, tensors(v1), Map.of(), CommitRequest.of("one"));
            CompletableFuture<ObjectId> same = repo.commitTensorsAsync(PATH, tensors(v1), Map.of(), CommitRequest.of("again"));
            CompletableFuture<ObjectId> second = repo.commitTensorsAsync(PATH, tensors(v2), Map.of(), CommitRequest.of("two"));
            CompletionException e = assertThrows(CompletionException.class, same::join);
            assertInstanceOf(BadInputException.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("nothing to commit"), e.getCause().getMessage());
            assertEquals(List.of(second.join(), first.join()), repo.log("HEAD", -1).stream().map(CommitWalk.Entry::id).toList());
            assertEquals(0, repo.asyncCopiesHeld());
        }
    }

    /** A tensor of 100 floats (400 bytes) whose stream holds {@code bytes} bytes. */
    private static TensorSource streamOf(String name, int bytes) {
        return Tensors.source(name, TensorSpec.of(DType.F32, 100), () -> new ByteArrayInputStream(new byte[bytes]));
    }

    @Test
    void badInputFailsInTheCallerAndHoldsNothing() throws IOException {
        byte[][] v = version(new SplittableRandom(9), null, 8);
        TensorSource shortStream = streamOf("short", 399);
        TensorSource longStream = streamOf("long", 401);
        try (Repository repo = Repository.init(dir)) {
            assertThrows(BadInputException.class, () -> repo.commitTensorsAsync("../outside.safetensors", tensors(v), Map.of(),
                    CommitRequest.of("x")));
            assertThrows(BadInputException.class, () -> repo.commitTensorsAsync(PATH, tensors(v), Map.of(), CommitRequest.of(" ")));
            BadInputException s = assertThrows(BadInputException.class, () -> repo.commitTensorsAsync(PATH, List.of(shortStream), Map.of(),
                    CommitRequest.of("x")));
            assertEquals("commitTensorsAsync: tensor 'short': stream ended after 399 of 400 bytes", s.getMessage());
            BadInputException l = assertThrows(BadInputException.class, () -> repo.commitTensorsAsync(PATH, List.of(longStream), Map.of(),
                    CommitRequest.of("x")));
            assertEquals("commitTensorsAsync: tensor 'long': stream has more than the expected 400 bytes", l.getMessage());
            assertEquals(0, repo.asyncCopiesHeld());
            assertEquals(null, repo.headCommit());
        }
    }

    /**
     * The commit thread is held at the staging lock (taken here through the same handle), so
     * the first commit waits there, the second waits its turn, and a third caller waits for a
     * copy to be freed: never more than two copies held.
     */
    @Test
    void atMostTwoCopiesAreHeldAndAThirdCallerWaits() throws Exception {
        SplittableRandom r = new SplittableRandom(10);
        byte[][] v1 = version(r, null, 16);
        byte[][] v2 = version(r, v1, 16);
        byte[][] v3 = version(r, v2, 16);
        try (Repository repo = Repository.init(dir)) {
            List<CompletableFuture<ObjectId>> futures = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Throwable> thirdFailed = new AtomicReference<>();
            Thread third;
            try (RepositoryLock.Held held = repo.lockIndex()) {
                futures.add(repo.commitTensorsAsync(PATH, tensors(v1), Map.of(), CommitRequest.of("one")));
                futures.add(repo.commitTensorsAsync(PATH, tensors(v2), Map.of(), CommitRequest.of("two")));
                assertEquals(2, repo.asyncCopiesHeld());
                third = new Thread(() -> {
                    try {
                        futures.add(repo.commitTensorsAsync(PATH, tensors(v3), Map.of(), CommitRequest.of("three")));
                    } catch (Throwable t) {
                        thirdFailed.set(t);
                    }
                });
                third.start();
                while (third.getState() != Thread.State.WAITING && third.isAlive()) {
                    Thread.onSpinWait();
                }
                assertTrue(third.isAlive(), "the third call returned while two copies were held");
                assertEquals(2, repo.asyncCopiesHeld());
                assertEquals(2, futures.size());
                assertFalse(futures.get(0).isDone());
            }
            third.join();
            assertEquals(null, thirdFailed.get());
            for (CompletableFuture<ObjectId> f : futures) {
                f.join();
            }
            assertEquals(List.of("three", "two", "one"), repo.log("HEAD", -1).stream().map(e -> e.commit().message()).toList());
            assertArrayEquals(v3[0], read(repo, "HEAD", "w"));
        }
    }

    /** A program that submits commits and ends without closing its handle still commits them before its JVM exits. */
    @Test
    void aJvmThatEndsWithoutClosingCommitsWhatItSubmitted() throws Exception {
        Repository.init(dir).close();
        Process p = CrashCommitChild.childJvm(AsyncExitChild.class, dir, "5").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("SUBMITTED 5"), out);
        try (Repository repo = Repository.open(dir)) {
            assertEquals(List.of("v5", "v4", "v3", "v2", "v1"), repo.log("HEAD", -1).stream().map(e -> e.commit().message()).toList());
            try (InputStream in = repo.tensor("HEAD", "model.safetensors", "w").openStream()) {
                assertArrayEquals(CrashCommitChild.content(5), in.readAllBytes());
            }
        }
    }

    /** Threads submitting at once, each its own file: every commit lands, each thread's in its order. */
    @Test
    void threadsSubmittingAtOnceLoseNothing() throws Exception {
        int threads = 4;
        int each = 5;
        byte[][][][] versions = new byte[threads][each][][];
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        try (Repository repo = Repository.init(dir)) {
            List<Thread> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int k = t;
                SplittableRandom r = new SplittableRandom(200 + t);
                Thread th = new Thread(() -> {
                    try {
                        byte[][] v = null;
                        for (int s = 0; s < each; s++) {
                            v = version(r, v, 8);
                            versions[k][s] = new byte[][] {v[0].clone(), v[1].clone()};
                            repo.commitTensorsAsync("t" + k + ".safetensors", tensors(v), Map.of(), CommitRequest.of("t" + k + " s" + s));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                running.add(th);
                th.start();
            }
            for (Thread th : running) {
                th.join();
            }
        }
        assertEquals(List.of(), failures);
        try (Repository repo = Repository.open(dir)) {
            List<String> messages = repo.log("HEAD", -1).stream().map(e -> e.commit().message()).toList();
            assertEquals(threads * each, messages.size());
            for (int t = 0; t < threads; t++) {
                List<String> own = new ArrayList<>();
                for (String m : messages) {
                    if (m.startsWith("t" + t + " ")) {
                        own.add(0, m);
                    }
                }
                List<String> expected = new ArrayList<>();
                for (int s = 0; s < each; s++) {
                    expected.add("t" + t + " s" + s);
                }
                assertEquals(expected, own);
                try (InputStream in = repo.tensor("HEAD", "t" + t + ".safetensors", "w").openStream()) {
                    assertArrayEquals(versions[t][each - 1][0], in.readAllBytes());
                }
            }
        }
    }

    /**
     * A checkpoint over the copy budget (here 1 kB) is committed in the caller's thread after the
     * ones queued before it, and holds no copy; one under it still goes to the commit thread.
     */
    @Test
    void aCheckpointTooLargeToCopyIsCommittedInTheCallersThreadInItsTurn() throws IOException {
        SplittableRandom r = new SplittableRandom(12);
        byte[][] small = {new byte[256], new byte[32]};
        r.nextBytes(small[0]);
        try (Repository repo = Repository.init(dir)) {
            AsyncCommits commits = new AsyncCommits(repo, 1000);
            List<CompletableFuture<ObjectId>> futures = new ArrayList<>();
            byte[][] v = null;
            for (int s = 0; s < 4; s++) {
                v = version(r, v, 8); // 8 x 64 floats: over the budget
                small = new byte[][] {small[0].clone(), small[1]};
                small[0][s] ^= 1;
                futures.add(commits.submit("small.safetensors", tensors(small), Map.of(), CommitRequest.of("small " + s)));
                CompletableFuture<ObjectId> large = commits.submit(PATH, tensors(v), Map.of(), CommitRequest.of("large " + s));
                assertTrue(large.isDone(), "committed in the caller's thread");
                assertTrue(futures.get(futures.size() - 1).isDone(), "after the commit queued before it");
                assertEquals(0, commits.held());
                futures.add(large);
            }
            byte[][] last = v;
            CompletableFuture<Throwable> fromCommitThread = new CompletableFuture<>();
            commits.submit("small.safetensors", tensors(new byte[][] {new byte[256], new byte[32]}), Map.of(), CommitRequest.of("zero"))
                    .thenRun(() -> {
                        try {
                            commits.submit(PATH, tensors(version(r, last, 8)), Map.of(), CommitRequest.of("from the commit thread"));
                            fromCommitThread.complete(null);
                        } catch (Throwable t) {
                            fromCommitThread.complete(t);
                        }
                    }).join();
            assertInstanceOf(IllegalStateException.class, fromCommitThread.join());
            CompletableFuture<ObjectId> same = commits.submit(PATH, tensors(v), Map.of(), CommitRequest.of("again"));
            CompletionException e = assertThrows(CompletionException.class, same::join);
            assertInstanceOf(BadInputException.class, e.getCause());
            commits.finish();
            List<String> log = repo.log("HEAD", -1).stream().map(c -> c.commit().message()).toList();
            assertEquals(List.of("zero", "large 3", "small 3", "large 2", "small 2", "large 1", "small 1", "large 0", "small 0"), log);
            assertArrayEquals(v[0], read(repo, "HEAD", "w"));
        }
    }

    /** Closing the handle from its own commit thread would wait for itself: refused, and the handle stays open. */
    @Test
    void closingFromTheCommitThreadIsRefused() throws IOException {
        byte[][] v = version(new SplittableRandom(13), null, 8);
        try (Repository repo = Repository.init(dir)) {
            CompletableFuture<Throwable> closing = new CompletableFuture<>();
            repo.commitTensorsAsync(PATH, tensors(v), Map.of(), CommitRequest.of("one")).thenRun(() -> {
                try {
                    repo.close();
                    closing.complete(null);
                } catch (Throwable t) {
                    closing.complete(t);
                }
            }).join();
            assertInstanceOf(IllegalStateException.class, closing.join());
            byte[][] v2 = version(new SplittableRandom(14), v, 8);
            repo.commitTensorsAsync(PATH, tensors(v2), Map.of(), CommitRequest.of("two")).join();
            assertEquals(2, repo.log("HEAD", -1).size());
        }
    }

    @Test
    void aClosedHandleTakesNoMoreAsynchronousCommits() throws IOException {
        byte[][] v = version(new SplittableRandom(11), null, 8);
        Repository repo = Repository.init(dir);
        repo.commitTensorsAsync(PATH, tensors(v), Map.of(), CommitRequest.of("one"));
        repo.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> repo.commitTensorsAsync(PATH, tensors(v), Map.of(), CommitRequest.of("two")));
        assertTrue(e.getMessage().startsWith("the repository handle is closed"), e.getMessage());
        try (Repository again = Repository.open(dir)) {
            assertEquals(1, again.log("HEAD", -1).size());
        }
    }
}
