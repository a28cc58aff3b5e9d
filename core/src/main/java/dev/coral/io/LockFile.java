package dev.coral.io;

import dev.coral.error.LockFailedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * JGit's lock-file pattern for small mutable files (refs, HEAD): {@code NAME.lock} is created
 * exclusively, so only one writer at a time may replace {@code NAME}; the new content is written
 * into the lock file, fsynced, and renamed over {@code NAME}. Closing without committing removes
 * the lock. Not thread-safe; one instance per update.
 *
 * <p>The lock file first holds its owner ({@code coral-lock PID HOST}), so a lock left by a
 * process that died ({@code kill -9} between create and rename) is recognised and broken: its
 * owner is not alive on this host, or (another host, or no owner written) it is older than
 * {@link #STALE_AFTER_MILLIS}. Breaking happens under an OS lock ({@code locks/lock-break.lock}),
 * re-checking the owner, so two processes never break a live lock between them.
 */
public final class LockFile implements AutoCloseable {
    private static final int ATTEMPTS = 500;
    private static final long WAIT_MILLIS = 10;
    /** A lock with no owner we can check is stale after this long (writers hold one for milliseconds). */
    public static final long STALE_AFTER_MILLIS = 60_000;
    private static final String HOST = hostName();

    private final Path target;
    private final Path lock;
    private boolean held;

    private LockFile(Path target) {
        this.target = target;
        this.lock = target.resolveSibling(target.getFileName() + ".lock");
    }

    /**
     * Takes the lock, waiting a little while another writer holds it.
     *
     * @throws LockFailedException naming the lock file if it stays taken
     */
    public static LockFile acquire(Path target) throws IOException {
        LockFile lf = new LockFile(target);
        Files.createDirectories(lf.lock.getParent());
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                Files.createFile(lf.lock);
                lf.held = true;
                Files.writeString(lf.lock, "coral-lock " + ProcessHandle.current().pid() + " " + HOST + "\n");
                return lf;
            } catch (FileAlreadyExistsException e) {
                if (i % 10 == 9 && breakIfStale(lf.lock)) {
                    continue;
                }
                try {
                    Thread.sleep(WAIT_MILLIS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new LockFailedException(lf.lock + ": held by another writer (remove it if no Coral process is running)");
    }

    /**
     * Deletes {@code lock} if its owner is dead (or unknown and the lock is old); true if it did.
     * Serialized across processes so a lock re-created meanwhile by a live writer is not broken.
     */
    static boolean breakIfStale(Path lock) throws IOException {
        Path locks = lock.toAbsolutePath().getParent();
        while (locks != null && !Files.isDirectory(locks.resolve("locks"))) {
            locks = locks.getParent();
        }
        RepositoryLock mutex = new RepositoryLock(locks == null ? lock.toAbsolutePath().getParent() : locks.resolve("locks"), "lock-break");
        try (RepositoryLock.Held h = mutex.lock()) {
            if (!isStale(lock)) {
                return false;
            }
            Files.deleteIfExists(lock);
            return true;
        }
    }

    /** Whether {@code lock} was left by a process that is gone. */
    public static boolean isStale(Path lock) throws IOException {
        String owner;
        long age;
        try {
            owner = Files.readString(lock).trim();
            age = System.currentTimeMillis() - Files.getLastModifiedTime(lock).toMillis();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (java.nio.charset.MalformedInputException e) {
            owner = "";
            age = System.currentTimeMillis() - Files.getLastModifiedTime(lock).toMillis();
        }
        String[] f = owner.split(" ");
        if (f.length == 3 && f[0].equals("coral-lock") && f[2].equals(HOST)) {
            try {
                long pid = Long.parseLong(f[1]);
                return ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true);
            } catch (NumberFormatException e) {
                return age > STALE_AFTER_MILLIS;
            }
        }
        // Another host's lock, or one whose owner died before writing its name (or, once committed
        // content was written into it, a lock whose rename never happened): judge by age.
        return age > STALE_AFTER_MILLIS;
    }

    /** This machine's name without a DNS look-up (which can stall where there is no network). */
    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = Files.readString(Path.of("/etc/hostname")).trim();
            } catch (IOException | RuntimeException e) {
                h = System.getenv("COMPUTERNAME");
            }
        }
        return h == null || h.isBlank() ? "localhost" : h.trim().replace(' ', '_');
    }

    /** Writes {@code content} as the new {@code NAME}, durably and atomically; releases the lock. */
    public void commit(byte[] content) throws IOException {
        if (!held) {
            throw new IllegalStateException("lock not held: " + lock);
        }
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        AtomicFile.moveIntoPlace(lock, target);
        held = false;
    }

    /** Deletes {@code NAME} under the lock; releases the lock. */
    public void delete() throws IOException {
        Files.deleteIfExists(target);
        AtomicFile.fsyncDirectory(target.toAbsolutePath().getParent());
        close();
    }

    @Override
    public void close() throws IOException {
        if (held) {
            held = false;
            Files.deleteIfExists(lock);
        }
    }
}
