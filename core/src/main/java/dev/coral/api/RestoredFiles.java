package dev.coral.api;

import dev.coral.repo.FileStamp;
import dev.coral.repo.StagingIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The working files this handle restored from a revision without staging them ({@code coral
 * restore --source REV PATH}): the staging index still describes the version staged, not the one
 * written, so the next restore of such a file would find no file at hand and decode every chunk
 * from its keyframe. What it wrote is kept here, and serves as the file at hand while the file's
 * size, time and change stamp are still those it left. Only a guess at what the file holds: a
 * restore from it checks the file it writes against its recorded CRC32C and restores from the store
 * alone when that fails ({@code FileRestore}).
 */
final class RestoredFiles {
    /** How many files' last restores are kept, the least recently restored leaving first. */
    private static final int KEPT = 64;

    private final Map<String, StagingIndex.Entry> written = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, StagingIndex.Entry> eldest) {
            return size() > KEPT;
        }
    };

    /** Records that a restore wrote {@code path} (a repository path) as {@code entry} describes, without staging it. */
    synchronized void wrote(String path, StagingIndex.Entry entry) {
        written.put(path, entry);
    }

    /** Forgets {@code path}: the staging index describes it now. */
    synchronized void staged(String path) {
        written.remove(path);
    }

    /**
     * What {@code file} (at {@code path}) holds, to read it from: what a restore through this
     * handle wrote there if the file is as that restore left it, else {@code indexed} (the staging
     * index's entry, or null).
     */
    StagingIndex.Entry atHand(String path, Path file, StagingIndex.Entry indexed) {
        StagingIndex.Entry mine;
        synchronized (this) {
            mine = written.get(path);
        }
        if (mine == null) {
            return indexed;
        }
        try {
            FileStamp now = FileStamp.of(file);
            if (now.size() == mine.size() && now.mtimeMillis() == mine.mtimeMillis() && FileStamp.sameChange(now.change(), mine.changeStamp())) {
                return mine;
            }
        } catch (IOException e) {
            // gone or unreadable: the restore finds that out itself
        }
        return indexed;
    }
}
