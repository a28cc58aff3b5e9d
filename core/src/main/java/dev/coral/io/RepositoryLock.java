package dev.coral.io;

import dev.coral.error.LockFailedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * An exclusive lock over one named resource of a repository (the staging index, ...), held
 * across threads of this JVM by a shared {@link ReentrantLock} and across processes by an OS file lock
 * on {@code .coral/locks/NAME.lock}, which dies with its process. Thread-safe; not reentrant
 * across the OS lock, so do not nest {@link #lock()} calls on one resource.
 */
public final class RepositoryLock {
    /**
     * One in-JVM lock per lock file, shared by every handle on the repository in this JVM: the OS
     * lock belongs to the process, so threads must queue here before asking for it.
     */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

    /** How long a lock another process holds is waited for before {@link #WAIT_NOTICE} hears of it. */
    static final long QUIET_WAIT_MILLIS = 1000;
    /**
     * Told, on the waiting thread, when a lock another process holds keeps it waiting longer than
     * {@link #QUIET_WAIT_MILLIS} (the wait itself has no end: a stopped command, Ctrl-Z, holds it
     * until it goes on or ends). The command line prints it; without one, waits are silent.
     */
    private static final ThreadLocal<Consumer<String>> WAIT_NOTICE = new ThreadLocal<>();

    private final Path file;
    private final ReentrantLock local;

    public RepositoryLock(Path locksDir, String name) {
        this.file = Folders.identity(locksDir).resolve(name + ".lock"); // one lock, whichever path reached the repository
        this.local = LOCAL.computeIfAbsent(file, f -> new ReentrantLock());
    }

    /** Has {@code notice} told, on this thread, of long waits for locks other processes hold (null: none). */
    public static void noticeWaits(Consumer<String> notice) {
        if (notice == null) {
            WAIT_NOTICE.remove();
        } else {
            WAIT_NOTICE.set(notice);
        }
    }

    /** A held lock; close to release. */
    public interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /** The lock if it is free now (in this JVM and across processes), else null. */
    public Held tryLock() throws IOException {
        if (!local.tryLock()) {
            return null;
        }
        return acquire(false, null);
    }

    /** The lock if it comes free within {@code millis} (in this JVM and across processes), else null. */
    public Held tryLock(long millis) throws IOException {
        long until = System.nanoTime() + millis * 1_000_000;
        Held held;
        while ((held = tryLock()) == null && System.nanoTime() < until) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for " + file);
            }
        }
        return held;
    }

    public Held lock() throws IOException {
        Consumer<String> notice = WAIT_NOTICE.get();
        boolean told = false;
        if (notice == null) {
            local.lock();
        } else {
            // Another thread of this JVM holds it: in the daemon, another caller's command, which
            // the caller of this one would see as another process (found by fuzzing the daemon:
            // its commands waited without a word where their own JVMs said why).
            try {
                if (!local.tryLock(QUIET_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    notice.accept(waitMessage());
                    told = true;
                    local.lockInterruptibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for " + file);
            }
        }
        return acquire(true, told ? null : notice);
    }

    private String waitMessage() {
        return "waiting for " + file + ", which another process holds (a Coral command still running, or one stopped with Ctrl-Z)";
    }

    /** The OS lock, waited for as long as it takes; tells {@code notice} (if any) after {@link #QUIET_WAIT_MILLIS}. */
    private FileLock waitFor(FileChannel ch, Consumer<String> notice) throws IOException {
        if (notice != null) {
            long until = System.nanoTime() + QUIET_WAIT_MILLIS * 1_000_000;
            do {
                FileLock fl = ch.tryLock();
                if (fl != null) {
                    return fl;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted waiting for " + file);
                }
            } while (System.nanoTime() < until);
            notice.accept(waitMessage());
        }
        return ch.lock();
    }

    /**
     * Takes the OS lock, the in-JVM one being held, waiting for it if {@code wait} (telling
     * {@code notice} of a long wait); releases the in-JVM one on failure or when not free.
     */
    private Held acquire(boolean wait, Consumer<String> notice) throws IOException {
        FileChannel ch = null;
        try {
            Folders.ensure(file.getParent());
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fl;
            try {
                fl = wait ? waitFor(ch, notice) : ch.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new LockFailedException(file + ": already locked in this process by another repository handle");
            }
            if (fl == null) {
                ch.close();
                local.unlock();
                return null;
            }
            FileChannel channel = ch;
            return () -> {
                try {
                    fl.release();
                    channel.close();
                } finally {
                    local.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            local.unlock();
            throw e;
        }
    }
}
