package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.format.Streams;
import dev.coral.io.Futures;
import dev.coral.format.TensorSource;
import dev.coral.io.Threads;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.OutputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The commits a handle runs on a thread of its own ({@link Repository#commitTensorsAsync}): each
 * takes a copy of its tensors in the caller's thread, then commits it through
 * {@link Repository#commitTensors} on the handle's commit thread, one after another in the order
 * they were submitted. At most {@link #PENDING} copies are held (the commit running and the ones
 * waiting for it); a caller that would hold one more waits until the oldest is done, so memory
 * stays bounded when checkpoints come faster than they commit. A checkpoint larger than an eighth
 * of the heap is not copied: it is committed in the caller's thread once the commits before it are
 * done, as {@code commitTensors} would, so a model of any size commits with a small heap. The commit thread is not a daemon:
 * a program that ends without closing the handle still commits what it submitted before the JVM
 * exits (the thread ends once idle for a second).
 */
final class AsyncCommits {
    /** Copies held at most: the commit running and one waiting. */
    static final int PENDING = 2;
    /** Largest array a copy uses: 1 GiB. */
    static final int PIECE = 1 << 30;

    private final Repository repo;
    /** Fair: callers waiting for a copy go in the order they came, and a large checkpoint waiting for all is not passed. */
    private final Semaphore copies = new Semaphore(PENDING, true);
    private final ThreadPoolExecutor thread;
    /** Largest checkpoint copied; a larger one is committed in the caller's thread (a quarter of the heap between two copies). */
    private final long copyBudget;

    AsyncCommits(Repository repo) {
        this(repo, Runtime.getRuntime().maxMemory() / 4 / PENDING);
    }

    AsyncCommits(Repository repo, long copyBudget) {
        this.repo = repo;
        this.copyBudget = copyBudget;
        this.thread = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), CommitThread::new);
        this.thread.allowCoreThreadTimeOut(true);
    }

    /**
     * Checks the path and message, copies the tensors (waiting first while {@link #PENDING} copies
     * are held), and queues the commit. Bad input fails here, in the caller; what fails in the
     * commit itself completes the future exceptionally and leaves later commits to run.
     */
    CompletableFuture<ObjectId> submit(String path, List<? extends TensorSource> tensors, Map<String, String> metadata,
                                       CommitRequest request) throws IOException {
        String repoPath = TensorInput.check(path, tensors, metadata, request);
        if (request.message() == null || request.message().isBlank()) {
            throw new BadInputException("empty commit message (give -m MESSAGE)");
        }
        long bytes = 0;
        for (TensorSource t : tensors) {
            bytes += t.spec().byteSize();
        }
        if (bytes > copyBudget) {
            return inline(repoPath, tensors, metadata, request);
        }
        if (onCommitThread()) {
            if (!copies.tryAcquire()) { // only the commit thread, running this action, would free one
                throw new IllegalStateException("commitTensorsAsync of " + repoPath + " from the commit thread itself, with "
                        + PENDING + " checkpoints already held: it would wait for that thread; attach the action that calls it "
                        + "with thenRunAsync");
            }
        } else {
            acquire(1, repoPath);
        }
        CompletableFuture<ObjectId> done = new CompletableFuture<>();
        try {
            List<TensorSource> copy = copyOf(tensors);
            // the caller's order: the file's header, so its hash and deduplication, follow it (Map.copyOf lost it)
            Map<String, String> meta = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
            Threads.submitOrRun(thread, () -> { // in the caller when no thread could start: done when this returns
                ObjectId id = null;
                Throwable failed = null;
                try {
                    id = repo.commitTensors(repoPath, copy, meta, request, true);
                } catch (Throwable t) {
                    failed = t;
                } finally {
                    copies.release(); // before the future completes: whoever waits on it finds the copy freed
                }
                if (failed != null) {
                    done.completeExceptionally(failed);
                } else {
                    done.complete(id);
                }
                return null;
            });
        } catch (RejectedExecutionException e) {
            copies.release();
            throw new IllegalStateException("the repository handle is closed: " + repo.root(), e);
        } catch (IOException | RuntimeException | Error e) {
            copies.release();
            throw e;
        }
        return done;
    }

    /**
     * A checkpoint too large to copy ({@link #copyBudget}): committed in the caller's thread, once
     * every commit submitted before it is done (it takes every copy's permit, so none runs or
     * starts meanwhile, and the order holds). Returns the finished commit's future, failed if the
     * commit failed. Refused on the commit thread itself (an action attached to a commit's future),
     * which would wait for the commits queued behind that action.
     */
    private CompletableFuture<ObjectId> inline(String repoPath, List<? extends TensorSource> tensors, Map<String, String> metadata,
                                               CommitRequest request) throws IOException {
        if (onCommitThread()) {
            throw new IllegalStateException("commitTensorsAsync of " + repoPath + " (larger than the copy budget, so committed in the "
                    + "calling thread) from the commit thread itself: attach the action that calls it with thenRunAsync");
        }
        acquire(PENDING, repoPath);
        try {
            return CompletableFuture.completedFuture(repo.commitTensors(repoPath, tensors, metadata, request));
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e); // as a queued commit's failure would come
        } finally {
            copies.release(PENDING);
        }
    }

    /** Whether the calling thread is a handle's commit thread (running an action attached to a commit's future). */
    static boolean onCommitThread() {
        return Thread.currentThread() instanceof CommitThread;
    }

    /** A handle's commit thread: not a daemon, so the JVM waits for the commits submitted. */
    private static final class CommitThread extends Thread {
        CommitThread(Runnable r) {
            super(r, "coral-async-commit");
            setDaemon(false);
        }
    }

    private void acquire(int permits, String repoPath) throws InterruptedIOException {
        try {
            copies.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for earlier commits of " + repoPath + " to finish");
        }
    }

    /** Waits until every commit submitted has finished (committed or failed), then takes no more. */
    void finish() {
        Futures.shutdownAndWait(thread);
    }

    /** Copies held now (commits running or waiting), for tests. */
    int held() {
        return PENDING - copies.availablePermits();
    }

    private static List<TensorSource> copyOf(List<? extends TensorSource> tensors) throws IOException {
        List<TensorSource> out = new ArrayList<>(tensors.size());
        for (TensorSource t : tensors) {
            out.add(copyOf(t, PIECE));
        }
        return out;
    }

    /** The tensor's bytes read into memory: in one array when they fit one of {@code piece} bytes, else in such arrays. */
    static TensorSource copyOf(TensorSource t, int piece) throws IOException {
        Pieces copy = new Pieces(t.spec().byteSize(), piece);
        Streams.copyTensor(t, copy, null, false, "commitTensorsAsync");
        return copy.arrays.size() == 1 ? Tensors.of(t.name(), t.spec(), copy.arrays.get(0))
                : Tensors.ofPieces(t.name(), t.spec(), copy.arrays);
    }

    /** Arrays of {@code piece} bytes (the last one shorter) that take {@code size} bytes written in order. */
    private static final class Pieces extends OutputStream {
        final List<byte[]> arrays = new ArrayList<>();
        /** The array being filled, and where in it. */
        private int k;
        private int at;

        Pieces(long size, int piece) {
            for (long left = size; left > 0 || arrays.isEmpty(); left -= piece) {
                arrays.add(new byte[(int) Math.min(piece, left)]);
            }
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) { // Streams.copyTensor passes on no more than the size
            while (len > 0) {
                byte[] a = arrays.get(k);
                int n = Math.min(len, a.length - at);
                System.arraycopy(b, off, a, at, n);
                off += n;
                len -= n;
                at += n;
                if (at == a.length && k + 1 < arrays.size()) {
                    k++;
                    at = 0;
                }
            }
        }
    }
}
