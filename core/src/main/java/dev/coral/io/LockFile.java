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
 */
public final class LockFile implements AutoCloseable {
    private static final int ATTEMPTS = 200;
    private static final long WAIT_MILLIS = 10;

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
                return lf;
            } catch (FileAlreadyExistsException e) {
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
