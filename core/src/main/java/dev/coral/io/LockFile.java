package dev.coral.io;

import dev.coral.error.LockFailedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * JGit's lock-file pattern for small mutable files (refs, HEAD): {@code NAME.lock} is created
 * exclusively, so only one writer at a time may replace {@code NAME}; the new content is written
 * into the lock file, fsynced, and renamed over {@code NAME}. Closing without committing removes
 * the lock. Not thread-safe; one instance per update.
 *
 * <p>The lock file holds its owner ({@code coral-lock PID HOST}) from the instant it exists (it
 * is linked into place already written) to the instant it is removed (the new content goes to a
 * private file renamed over {@code NAME}), so a lock left by a process that died at any step is
 * recognised and broken: its owner is not running on this host, or (another host) it is older
 * than {@link #STALE_AFTER_MILLIS}. Breaking happens under an OS lock ({@code locks/lock-break.lock}),
 * re-checking the owner, so two processes never break a live lock between them.
 */
public final class LockFile implements AutoCloseable {
    private static final int ATTEMPTS = 500;
    private static final long WAIT_MILLIS = 10;
    /** A lock with no owner we can check is stale after this long (writers hold one for milliseconds). */
    public static final long STALE_AFTER_MILLIS = 60_000;
    /**
     * A lock dated further ahead than this was not written by a writer now (no two clocks that
     * share a repository are an hour apart): its time was set by hand or by a clock since put
     * right, and it is judged by how far off it is, as an old one is by its age.
     */
    public static final long FUTURE_SKEW_MILLIS = 3_600_000;
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
        Folders.ensure(lf.lock.getParent());
        // The lock appears with its owner already in it: written to a private file, then linked
        // to NAME.lock, which fails if the name is taken (link(2) never replaces).
        Path mine = AtomicFile.tempSibling(lf.lock);
        try {
            Files.writeString(mine, "coral-lock " + ProcessHandle.current().pid() + " " + HOST + "\n");
            for (int i = 0; i < ATTEMPTS; i++) {
                try {
                    Files.createLink(lf.lock, mine);
                    lf.held = true;
                    return lf;
                } catch (FileAlreadyExistsException e) {
                    if (Files.isDirectory(lf.lock, LinkOption.NOFOLLOW_LINKS)) {
                        throw new LockFailedException(lf.lock + ": a folder is in place of this lock file (remove it if no Coral "
                                + "process is running; 'coral gc' removes it once stale)");
                    }
                    if (i % 10 == 0 && breakIfStale(lf.lock)) {
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
        } catch (IOException e) {
            throw WriteErrors.naming(lf.lock, e); // a full disk: "NAME.lock: No space left on device", not the bare words
        } finally {
            Files.deleteIfExists(mine);
        }
        throw new LockFailedException(lf.lock + ": held by another writer (remove it if no Coral process is running)");
    }

    /**
     * Deletes {@code lock} if its owner is dead (or unknown and the lock is old); true if it did.
     * Serialized across processes so a lock re-created meanwhile by a live writer is not broken.
     */
    static boolean breakIfStale(Path lock) throws IOException {
        Path locks = lock.toAbsolutePath().getParent();
        while (locks != null && !(locks.getFileName() != null && locks.getFileName().toString().equals(".coral")
                && Files.isDirectory(locks.resolve("locks")))) {
            locks = locks.getParent(); // the repository's own locks folder, not a branch named locks/...
        }
        if (locks == null) { // a lock outside a .coral folder (tests): the nearest folder holding a locks folder
            locks = lock.toAbsolutePath().getParent();
            while (locks != null && !Files.isDirectory(locks.resolve("locks"))) {
                locks = locks.getParent();
            }
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
            age = ageOf(lock);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (java.nio.charset.MalformedInputException e) {
            owner = "";
            age = ageOf(lock);
        }
        String[] f = owner.split(" ");
        if (f.length == 3 && f[0].equals("coral-lock") && f[2].equals(HOST)) {
            try {
                long pid = Long.parseLong(f[1]);
                return !isRunning(pid);
            } catch (NumberFormatException e) {
                return age > STALE_AFTER_MILLIS;
            }
        }
        // Another host's lock, or one whose owner died before writing its name (or, once committed
        // content was written into it, a lock whose rename never happened): judge by age.
        return age > STALE_AFTER_MILLIS;
    }

    /** Milliseconds since {@code file} was written; one dated over {@link #FUTURE_SKEW_MILLIS} ahead counts as that far back. */
    public static long ageOf(Path file) throws IOException {
        return age(Files.getLastModifiedTime(file).toMillis(), System.currentTimeMillis());
    }

    /** The age of what was written at {@code modified}, seen at {@code now}: see {@link #ageOf}; a moment ahead is 0. */
    public static long age(long modified, long now) {
        long age = now - modified;
        return age < -FUTURE_SKEW_MILLIS ? -age : Math.max(0, age);
    }

    /** Whether process {@code pid} runs (a zombie, killed but not yet reaped by its parent, does not). */
    public static boolean isRunning(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return true; // no /proc: trust ProcessHandle
        }
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
        // The new content goes to a private file, not into the lock, so the lock keeps naming its
        // owner until the very end: a crash at any step leaves a lock that can be recognised as stale.
        Path next = AtomicFile.tempSibling(target);
        try {
            try (FileChannel ch = FileChannel.open(next, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            FaultPoints.hit("ref.beforeRename:" + FaultPoints.fileKind(target));
            AtomicFile.moveIntoPlace(next, target);
            FaultPoints.hit("ref.renamedBeforeUnlock:" + FaultPoints.fileKind(target));
        } catch (IOException e) {
            throw WriteErrors.naming(target, e);
        } finally {
            Files.deleteIfExists(next);
        }
        close();
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
