package dev.coral.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file's new content written to a temporary sibling, its fsync running on a thread of its own,
 * to be renamed over the file later ({@link #publish}): an {@link AtomicFile#write} cut in two, so
 * that a commit fsyncs its staging index and its branch while its pack is fsynced, and renames
 * each into place in the order the commit needs. Closing without publishing waits for the fsync
 * and deletes the temporary; the target is untouched until then.
 */
public final class StagedFile implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    private final OverlappedTask<Void> sync;
    private final String beforeRename;
    private boolean published;

    private StagedFile(Path target, Path tmp, OverlappedTask<Void> sync, String beforeRename) {
        this.target = target;
        this.tmp = tmp;
        this.sync = sync;
        this.beforeRename = beforeRename;
    }

    /**
     * Writes {@code content} to a new temporary sibling of {@code target} (fault point
     * {@code beforeFsync} once written) and starts its fsync aside; {@code beforeRename} is the
     * fault point {@link #publish} marks before its rename.
     */
    static StagedFile write(Path target, byte[] content, String beforeFsync, String beforeRename) throws IOException {
        Folders.ensure(target.toAbsolutePath().getParent());
        Path tmp = AtomicFile.tempSibling(target);
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            FaultPoints.hit(beforeFsync);
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
        OverlappedTask<Void> sync = new OverlappedTask<>(() -> {
            try (ch) {
                ch.force(true);
            }
            return null;
        }, true, "coral-fsync-aside", "fsync of " + tmp);
        return new StagedFile(target, tmp, sync, beforeRename);
    }

    /** Waits for the fsync, then renames the content over the target and fsyncs the folder. */
    public void publish() throws IOException {
        if (published) {
            throw new IllegalStateException("published already: " + target);
        }
        sync.result();
        FaultPoints.hit(beforeRename);
        AtomicFile.moveIntoPlace(tmp, target, true);
        published = true;
    }

    /** Waits for the fsync; deletes the temporary unless it was published. */
    @Override
    public void close() throws IOException {
        sync.close();
        if (!published) {
            Files.deleteIfExists(tmp);
        }
    }
}
