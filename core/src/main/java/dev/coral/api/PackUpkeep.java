package dev.coral.api;

import dev.coral.io.RepositoryLock;
import dev.coral.io.Threads;
import dev.coral.maintenance.GarbageCollector;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import dev.coral.store.PackMerge;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Keeps the packs of a repository few while commits add one or two each: after a write, once
 * the store holds {@value #MIN_PACKS} packs or more, the small ones (under
 * {@value #SMALL_PACK_BYTES} bytes) that no longer form a geometric progression (each at least
 * twice the bytes of the next smaller; git's {@code repack --geometric=2}) are copied into one
 * pack, payloads untouched ({@link PackMerge}), and deleted. Every byte is copied O(log n) times
 * over a history of n packs, and a training loop's folder stays at tens of packs, not two per step.
 *
 * <p>Nothing is lost: every object of a deleted pack is in the new one, under the same id.
 * Readers that held the old packs look again ({@code ObjectStore} retries a read whose pack
 * vanished). It runs under the gc lock, taken only if free: while a gc or repack runs, or
 * another process merges, it waits for a later write. It runs on a thread of its own (one per
 * handle that merged), so the write that called for it returns at once; closing the handle waits
 * for it.
 *
 * <p>One per repository handle; thread-safe.
 */
final class PackUpkeep {
    /** Fewer packs than this are left alone. */
    static final int MIN_PACKS = 64;
    /** Packs at least this large are never merged by upkeep (that is {@code coral repack}'s). */
    static final long SMALL_PACK_BYTES = 32L << 20;
    /** Packs added since the last look before upkeep looks again. */
    static final int CHECK_EVERY = 64;
    private static final int FACTOR = 2;

    private final ObjectStore store;
    private final Path locksDir;
    // guarded by this:
    private int packsAtLastLook;
    private boolean pending;
    private boolean closed;
    private ExecutorService worker;
    private String problem;

    PackUpkeep(ObjectStore store, Path locksDir) {
        this.store = store;
        this.locksDir = locksDir;
    }

    /** A pack's id and bytes. */
    record Pack(ObjectId id, long bytes) {
    }

    /**
     * After a write: if it is time, merges small packs on a thread of its own, and the caller
     * goes on (a training loop trains meanwhile). One merge at a time per handle.
     */
    void afterWrite() {
        int packs = store.packCount();
        synchronized (this) {
            if (closed || pending || packs < MIN_PACKS || packs < packsAtLastLook + CHECK_EVERY) {
                return;
            }
            packsAtLastLook = packs;
            pending = true;
            if (worker == null) {
                worker = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "coral-pack-upkeep");
                    t.setDaemon(true);
                    return t;
                });
            }
            if (Threads.trySubmit(worker, () -> {
                mergeInBackground();
                return null;
            }) == null) {
                pending = false; // no thread could start: the packs wait for a later write's look, or for gc
            }
        }
    }

    private void mergeInBackground() {
        String failed = null;
        try {
            mergeNow();
        } catch (IOException | RuntimeException e) {
            failed = "packs were not merged: " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
        synchronized (this) {
            problem = failed;
            pending = false;
            notifyAll();
        }
    }

    /** Waits for a merge in progress; then why the last one failed (the writes stand), or null; told once. */
    synchronized String awaitProblem() {
        boolean interrupted = false;
        while (pending) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        String told = problem;
        problem = null; // told once
        return told;
    }

    /** Waits for a merge in progress and starts no more. */
    void close() {
        ExecutorService w;
        synchronized (this) {
            closed = true;
            w = worker;
        }
        awaitProblem();
        if (w != null) {
            w.shutdown();
        }
    }

    /** Merges now if the small packs call for it. */
    private void mergeNow() throws IOException {
        try (RepositoryLock.Held held = new RepositoryLock(locksDir, GarbageCollector.LOCK_NAME).tryLock()) {
            if (held == null) {
                return; // a gc or repack runs, or another handle merges: a later write will look again
            }
            Path packsDir = store.packsDir();
            List<ObjectId> merge = chooseToMerge(packsOf(packsDir));
            if (merge.size() < 2) {
                return;
            }
            try {
                PackVerifier.changeThenRebuildMultiPackIndex(packsDir, locksDir, () -> PackMerge.mergeInPlace(packsDir, merge));
            } finally {
                store.refresh();
            }
            synchronized (this) {
                packsAtLastLook = store.packCount();
            }
        }
    }

    private static List<Pack> packsOf(Path packsDir) throws IOException {
        List<Pack> out = new ArrayList<>();
        for (PackVerifier.PackName p : PackVerifier.list(packsDir)) {
            if (p.hasPack() && p.hasIndex()) {
                try {
                    out.add(new Pack(p.id(), Files.size(p.pack())));
                } catch (NoSuchFileException e) {
                    // deleted meanwhile
                }
            }
        }
        return out;
    }

    /**
     * The small packs to merge into one: sorted by size, the smallest ones up to the last place
     * where a pack is less than twice the one before it, and then every next pack less than
     * twice what is merged so far. Empty, or at least two packs.
     */
    static List<ObjectId> chooseToMerge(List<Pack> packs) {
        List<Pack> small = new ArrayList<>(packs.stream().filter(p -> p.bytes() < SMALL_PACK_BYTES).toList());
        small.sort(Comparator.comparingLong(Pack::bytes).thenComparing(Pack::id));
        int i = small.size() - 1;
        while (i > 0 && small.get(i).bytes() >= FACTOR * small.get(i - 1).bytes()) {
            i--;
        }
        if (i <= 0) {
            return List.of();
        }
        int split = i + 1;
        long total = 0;
        for (int k = 0; k < split; k++) {
            total += small.get(k).bytes();
        }
        while (split < small.size() && small.get(split).bytes() < FACTOR * total) {
            total += small.get(split).bytes();
            split++;
        }
        return small.subList(0, split).stream().map(Pack::id).toList();
    }
}
