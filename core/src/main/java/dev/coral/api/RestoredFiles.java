package dev.coral.api;

import dev.coral.io.AtomicFile;
import dev.coral.io.ChecksummedFile;
import dev.coral.repo.FileIngest;
import dev.coral.repo.FileStamp;
import dev.coral.repo.StagingIndex;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The working files restored from a revision without staging them ({@code coral restore --source
 * REV PATH}): the staging index still describes the version staged, not the one written, so the
 * next restore of such a file would find no file at hand and decode every chunk from its keyframe
 * (fp32, 84 MB, one command each: 1.1-1.6 s against 0.36-0.41 s for {@code checkout REV -- PATH},
 * which stages). What such a restore wrote is recorded here, and serves as the file at hand while
 * the file's size, time and change stamp are still those it left. Only a guess at what the file
 * holds: a restore from it checks the file it writes against its recorded CRC32C and restores from
 * the store alone when that fails ({@code FileRestore}).
 *
 * <p>Kept in {@code .coral/cache/restored}, so that a later process (a one-shot command) finds it
 * too; read and written under the staging index's lock, by the commands that write working files.
 * A hint: none, or one that cannot be read or does not verify, is taken as empty and written anew;
 * a failed write only loses it.
 *
 * <pre>
 * File  --&gt; ChecksummedFile("CORALRST", version 1, Body)
 * Body  --&gt; Count u32, Count x Entry (the least recently written first)
 * Entry --&gt; PathLength u16, Path (UTF-8, a repository path), FileEntry (32 bytes), Size i64,
 *           MtimeMillis i64, ChangeStamp i64
 * </pre>
 */
final class RestoredFiles {
    static final String MAGIC = "CORALRST";
    static final int VERSION = 1;
    /** How many files' last restores are kept, the least recently written leaving first. */
    static final int KEPT = 64;
    private static final int MAX_BYTES = KEPT * (2 + 0xFFFF + 32 + 24) + 4;

    private final Path file;

    RestoredFiles(Path file) {
        this.file = file;
    }

    /** What the file records now: empty when there is none, or it cannot be read or does not verify. */
    Written read() {
        LinkedHashMap<String, StagingIndex.Entry> entries = new LinkedHashMap<>();
        try {
            ByteBuffer b = ByteBuffer.wrap(ChecksummedFile.read(file, MAGIC, VERSION, VERSION, MAX_BYTES).bytes()).order(ByteOrder.BIG_ENDIAN);
            int count = b.getInt();
            for (int i = 0; i < count; i++) {
                byte[] path = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(path);
                byte[] id = new byte[32];
                b.get(id);
                entries.put(new String(path, StandardCharsets.UTF_8),
                        new StagingIndex.Entry(ObjectId.fromBytes(id), b.getLong(), b.getLong(), b.getLong(), new byte[0], false));
            }
        } catch (IOException | RuntimeException e) {
            entries.clear(); // none, or unreadable: a hint, written anew
        }
        return new Written(entries);
    }

    /** The record as read, changed by a command and written back by {@link #save}. */
    final class Written {
        private final LinkedHashMap<String, StagingIndex.Entry> entries;
        private boolean changed;

        private Written(LinkedHashMap<String, StagingIndex.Entry> entries) {
            this.entries = entries;
        }

        /**
         * What {@code target} (at repository path {@code path}) holds, to read it from: what a
         * restore wrote there if the file is as that restore left it, else {@code indexed} (the
         * staging index's entry, or null).
         */
        StagingIndex.Entry atHand(String path, Path target, StagingIndex.Entry indexed) {
            StagingIndex.Entry mine = entries.get(path);
            if (mine == null) {
                return indexed;
            }
            try {
                if (mine.stampMatches(new FileIngest.FileStat(FileStamp.of(target), null))) {
                    return mine;
                }
            } catch (IOException e) {
                // gone or unreadable: the restore finds that out itself
            }
            return indexed;
        }

        /** Records that a restore wrote {@code path} as {@code entry} describes, without staging it. */
        void wrote(String path, StagingIndex.Entry entry) {
            if (path.getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
                return; // (no such path on a file system Coral runs on)
            }
            entries.remove(path);
            entries.put(path, entry);
            while (entries.size() > KEPT) {
                entries.remove(entries.keySet().iterator().next());
            }
            changed = true;
        }

        /** Forgets {@code path}: the staging index describes it now. */
        void staged(String path) {
            changed |= entries.remove(path) != null;
        }

        /** Writes the record if it changed. Never fails: a hint lost costs the next restore its file at hand. */
        void save() {
            if (!changed) {
                return;
            }
            try {
                int size = 4;
                for (String path : entries.keySet()) {
                    size += 2 + path.getBytes(StandardCharsets.UTF_8).length + 32 + 24;
                }
                ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
                b.putInt(entries.size());
                for (Map.Entry<String, StagingIndex.Entry> e : entries.entrySet()) {
                    byte[] path = e.getKey().getBytes(StandardCharsets.UTF_8);
                    b.putShort((short) path.length).put(path).put(e.getValue().fileEntry().toBytes());
                    b.putLong(e.getValue().size()).putLong(e.getValue().mtimeMillis()).putLong(e.getValue().changeStamp());
                }
                byte[] body = b.array();
                Files.createDirectories(file.getParent());
                AtomicFile.write(file, ChecksummedFile.encode(MAGIC, VERSION, body), false);
                changed = false;
            } catch (IOException | RuntimeException e) {
                // a hint: the next restore of these files reads from the store alone
            }
        }
    }
}
