package dev.coral.maintenance;

import dev.coral.io.AtomicFile;
import dev.coral.io.Folders;
import dev.coral.io.LockFile;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files under {@code .coral} that dead writers leave behind: temporary files ({@code .tmp-*},
 * {@link AtomicFile#TEMP_PREFIX}), packs whose index was never renamed into place (a crash between
 * the two renames of a pack writer), {@code NAME.lock} files of ref updates, and the scratch
 * folders of repacks whose process is gone ({@link GarbageCollector#REPACK_SCRATCH_PREFIX}: a
 * repack killed half-way left a copy of the repository's objects there). The files of
 * {@code .coral/locks} are not leftovers: they hold OS locks, which die with their process, and
 * are reused.
 */
final class Leftovers {
    /**
     * A ref lock file is held for milliseconds and waited for at most a few seconds
     * ({@link dev.coral.io.LockFile}); one older than this belongs to a dead process.
     */
    static final Duration STALE_LOCK = Duration.ofMinutes(10);

    enum Kind {
        TEMPORARY("temporary file of an interrupted write"),
        UNINDEXED_PACK("pack without an index (its writer stopped before finishing it)"),
        LOCK("lock file of an interrupted ref update"),
        LOCK_FOLDER("folder in place of a lock file (no write that takes that lock can run)"),
        LOCKS_FILE("file in place of the locks folder (no write can take a lock)"),
        REPACK_SCRATCH("scratch folder of an interrupted repack");

        final String description;

        Kind(String description) {
            this.description = description;
        }

        /** When gc removes a leftover of this kind, as the end of a sentence (see {@link Leftover#removable}). */
        String whenRemoved() {
            return switch (this) {
                case TEMPORARY -> " once it is older than the grace period and " + describeAge(LIVE_TEMPORARY);
                case UNINDEXED_PACK -> " once it is older than the grace period";
                case LOCK, LOCK_FOLDER, LOCKS_FILE -> " once it is " + describeAge(STALE_LOCK) + " old";
                case REPACK_SCRATCH -> "";
            };
        }
    }

    /**
     * The least age of a temporary file gc removes, whatever its grace period. gc deletes leftovers
     * with the writers' gate shut, so no add or commit is writing a pack or a temporary file then;
     * but {@code coral config}, {@code rm} and the chunk cache replace small files
     * through temporary ones without passing the gate, each for milliseconds.
     */
    static final Duration LIVE_TEMPORARY = Duration.ofMinutes(1);

    /** One leftover: where, what, how big, how old. */
    record Leftover(Path file, Kind kind, long bytes, Duration age) {
        /**
         * What it is, as fsck names it: a temporary file younger than {@link #LIVE_TEMPORARY}, or a
         * ref lock file younger than {@link #STALE_LOCK}, may be a live writer's (fsck runs beside
         * writers; gc leaves such files alone for that reason), so it is not called interrupted (the
         * daemon fuzz saw fsck call the staging index a concurrent {@code status} was writing
         * "temporary file of an interrupted write, 0 seconds old").
         */
        String description() {
            if (kind == Kind.TEMPORARY && age.compareTo(LIVE_TEMPORARY) < 0) {
                return "temporary file of a write in progress, or of one interrupted less than " + describeAge(LIVE_TEMPORARY) + " ago";
            }
            if (kind == Kind.LOCK && age.compareTo(STALE_LOCK) < 0) {
                return "lock file of a ref update in progress, or of one interrupted less than " + describeAge(STALE_LOCK) + " ago";
            }
            return kind.description;
        }

        /** Whether {@code coral gc} with this grace period removes it. */
        boolean removable(Duration grace) {
            return switch (kind) {
                case LOCK, LOCK_FOLDER, LOCKS_FILE -> age.compareTo(STALE_LOCK) >= 0;
                case TEMPORARY -> age.compareTo(grace) >= 0 && age.compareTo(LIVE_TEMPORARY) >= 0;
                case UNINDEXED_PACK -> age.compareTo(grace) >= 0;
                case REPACK_SCRATCH -> true; // its process is gone: nothing can use it again
            };
        }
    }

    private Leftovers() {
    }

    /**
     * The leftovers in {@code coralDir}. {@code noRepackRuns}: the caller holds the gc lock, which
     * a repack holds for its whole run, so every repack scratch folder is a dead one's, whatever
     * process now has the id in its name (else a folder named by a running process is kept).
     */
    static List<Leftover> scan(Path coralDir, Instant now, boolean noRepackRuns) throws IOException {
        List<Leftover> out = new ArrayList<>();
        Path locks = coralDir.resolve("locks");
        Path packs = coralDir.resolve("packs");
        if (!Files.isDirectory(coralDir)) {
            return out;
        }
        Files.walkFileTree(coralDir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.equals(locks)) {
                    return FileVisitResult.CONTINUE; // its lock files hold OS locks, no leftovers; a folder among them is one
                }
                if (!dir.equals(coralDir) && dir.getFileName().toString().endsWith(".lock")) {
                    // a folder in place of a lock file (no name Coral writes): it blocks every write that takes that lock
                    // (one in .coral/locks was passed over: fsck said no problems while every add failed; found by fuzzing)
                    out.add(new Leftover(dir, Kind.LOCK_FOLDER, treeBytes(dir), age(attrs, now)));
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (packs.equals(dir.getParent()) && isRepackScratch(dir)) {
                    if (noRepackRuns || !ofLiveProcess(dir)) {
                        out.add(new Leftover(dir, Kind.REPACK_SCRATCH, treeBytes(dir), age(attrs, now)));
                    }
                    return FileVisitResult.SKIP_SUBTREE; // a live repack's files are its own
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                Kind kind = null;
                if (file.equals(locks)) {
                    kind = Kind.LOCKS_FILE;
                } else if (locks.equals(file.getParent())) {
                    return FileVisitResult.CONTINUE;
                } else if (name.startsWith(AtomicFile.TEMP_PREFIX)) {
                    kind = Kind.TEMPORARY;
                } else if (name.endsWith(".lock")) {
                    kind = Kind.LOCK;
                }
                if (kind != null) {
                    out.add(new Leftover(file, kind, attrs.size(), age(attrs, now)));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // vanished meanwhile (a writer finished)
            }
        });
        for (PackVerifier.PackName p : PackVerifier.list(coralDir.resolve("packs"))) {
            if (p.hasPack() && !p.hasIndex()) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p.pack(), BasicFileAttributes.class);
                    out.add(new Leftover(p.pack(), Kind.UNINDEXED_PACK, a.size(), age(a, now)));
                } catch (NoSuchFileException e) {
                    // deleted meanwhile
                }
            }
        }
        return out;
    }

    /** Deletes a leftover: a file, or a scratch folder with everything in it. */
    static void remove(Path leftover) throws IOException {
        Folders.deleteTree(leftover);
    }

    private static boolean isRepackScratch(Path dir) {
        return dir.getFileName().toString().startsWith(GarbageCollector.REPACK_SCRATCH_PREFIX);
    }

    /** Whether the process named by a repack scratch folder runs (as a lock's owner is judged; an unreadable name: no). */
    private static boolean ofLiveProcess(Path dir) {
        String pid = dir.getFileName().toString().substring(GarbageCollector.REPACK_SCRATCH_PREFIX.length());
        try {
            return LockFile.isRunning(Long.parseLong(pid));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long treeBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted meanwhile
                }
            }).sum();
        }
    }

    private static Duration age(BasicFileAttributes a, Instant now) {
        return Duration.ofMillis(LockFile.age(a.lastModifiedTime().toMillis(), now.toEpochMilli()));
    }

    /** {@code 3 days}, {@code 5 hours}, {@code 12 minutes}, {@code 40 seconds}: the largest whole unit. */
    static String describeAge(Duration age) {
        long s = age.getSeconds();
        if (s >= 86400) {
            return s / 86400 + (s / 86400 == 1 ? " day" : " days");
        }
        if (s >= 3600) {
            return s / 3600 + (s / 3600 == 1 ? " hour" : " hours");
        }
        if (s >= 60) {
            return s / 60 + (s / 60 == 1 ? " minute" : " minutes");
        }
        return s + (s == 1 ? " second" : " seconds");
    }
}
