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

    private final Path file;
    private final ReentrantLock local;

    public RepositoryLock(Path locksDir, String name) {
        this.file = locksDir.resolve(name + ".lock").toAbsolutePath().normalize();
        this.local = LOCAL.computeIfAbsent(file, f -> new ReentrantLock());
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
        return acquire(false);
    }

    public Held lock() throws IOException {
        local.lock();
        return acquire(true);
    }

    /** Takes the OS lock, the in-JVM one being held; releases the in-JVM one on failure or when not free. */
    private Held acquire(boolean wait) throws IOException {
        FileChannel ch = null;
        try {
            Folders.ensure(file.getParent());
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fl;
            try {
                fl = wait ? ch.lock() : ch.tryLock();
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
