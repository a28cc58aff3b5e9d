package dev.coral.repo;

import dev.coral.error.BadInputException;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.BackgroundRelease;
import dev.coral.io.BootId;
import dev.coral.io.SeenFile;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * The folder a repository tracks: turns user paths into repository paths ({@code /}-separated,
 * relative, never leaving the folder), lists weight files, and tells whether a working file
 * still matches what was staged. Thread-safe (no state beyond the root).
 */
public final class WorkTree {
    public static final String CORAL_DIR = ".coral";
    private final Path root;

    public WorkTree(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Whether repository path {@code path} is {@code repoPath} or under it (the root, {@code ""}, holds every path). */
    public static boolean isUnder(String path, String repoPath) {
        return repoPath.isEmpty() || path.equals(repoPath) || path.startsWith(repoPath + "/");
    }

    /** The repository path of {@code p} (absolute, or relative to the root). */
    public String repoPath(Path p) throws BadInputException {
        Path abs = (p.isAbsolute() ? p : root.resolve(p)).normalize();
        if (!abs.startsWith(root)) {
            throw new BadInputException(p + ": outside the repository at " + root);
        }
        Path rel = root.relativize(abs);
        String s = rel.toString();
        if (hasBackslash(rel)) {
            throw new BadInputException(p + ": a backslash in a file or folder name cannot be stored (repository paths use '/' "
                    + "between folders on every system, where Windows reads a backslash as one); rename it");
        }
        s = s.replace(java.io.File.separatorChar, '/');
        if (readsAsDrive(s)) {
            throw new BadInputException(p + ": a name of one letter and ':' at the top of the repository cannot be stored (Windows "
                    + "reads it as a drive); rename it or put it in a folder");
        }
        if (s.equals(CORAL_DIR) || s.startsWith(CORAL_DIR + "/")) {
            throw new BadInputException(p + ": inside .coral, which Coral manages itself");
        }
        return s;
    }

    /**
     * Whether repository path {@code s} starts as a Windows drive does ({@code a:b.npy}), which
     * {@link #checkRepoPath} refuses in what is read back: found by fuzzing, such a file was added
     * and committed, and from then on status, checkout and rm all failed on it.
     */
    private static boolean readsAsDrive(String s) {
        return s.length() >= 2 && s.charAt(1) == ':' && (s.charAt(0) >= 'a' && s.charAt(0) <= 'z' || s.charAt(0) >= 'A' && s.charAt(0) <= 'Z');
    }

    /** Whether a name in {@code rel} holds a backslash: its own character here, a separator on Windows. */
    private static boolean hasBackslash(Path rel) {
        return java.io.File.separatorChar != '\\' && rel.toString().indexOf('\\') >= 0;
    }

    /**
     * Checks a repository path read from an object or given as an argument: relative, no
     * {@code ..} or empty segments, no backslashes, not under {@code .coral}.
     */
    public static String checkRepoPath(String path) throws BadInputException {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.indexOf('\0') >= 0
                || Arrays.stream(path.split("/", -1)).anyMatch(s -> s.isEmpty() || s.equals("..") || s.equals("."))
                || path.equals(CORAL_DIR) || path.startsWith(CORAL_DIR + "/") || readsAsDrive(path)) {
            throw new BadInputException("'" + path + "': not a safe relative path inside the repository");
        }
        return path;
    }

    public Path file(String repoPath) throws BadInputException {
        Path p = root.resolve(checkRepoPath(repoPath)).normalize();
        if (!p.startsWith(root)) {
            throw new BadInputException("'" + repoPath + "': leaves the repository");
        }
        return p;
    }

    /**
     * The folder between the root and {@code abs} (the root and abs excluded) that is a symbolic
     * link, else null. Coral never reads, writes or deletes through one (git: "beyond a symbolic
     * link"): found by fuzzing, a tracked folder replaced by a link to a folder outside the
     * repository had checkout write, and rm delete, the files of that outside folder.
     */
    public Path linkAbove(Path abs) {
        return folderAbove(abs, Files::isSymbolicLink);
    }

    /** The folder between the root and {@code abs} that holds a repository of its own ({@code .coral}), else null. */
    public Path nestedRepositoryAbove(Path abs) {
        return folderAbove(abs, WorkTree::holdsRepository);
    }

    /** Whether folder {@code d} is a repository's root (holds a {@code .coral} folder). */
    private static boolean holdsRepository(Path d) {
        return Files.isDirectory(d.resolve(CORAL_DIR), LinkOption.NOFOLLOW_LINKS);
    }

    /** Whether {@code f} is a working file that is there: a regular file, not beyond a symbolic link (a path through one names none). */
    private boolean isPresent(Path f) {
        return Files.isRegularFile(f) && linkAbove(f) == null;
    }

    /** The first folder between the root and {@code abs} (both excluded), from the root down, that {@code is} accepts; else null. */
    private Path folderAbove(Path abs, Predicate<Path> is) {
        Path a = abs.toAbsolutePath().normalize();
        if (!a.startsWith(root) || a.equals(root)) {
            return null;
        }
        Path d = root;
        for (Path name : root.relativize(a)) {
            d = d.resolve(name);
            if (d.equals(a)) {
                return null;
            }
            if (is.test(d)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Refuses a path given to read from (add): one beyond a symbolic link to a folder, or inside
     * a repository nested in this one (as git leaves a nested repository alone).
     */
    public void requireReadable(Path given, Path abs) throws BadInputException {
        Path link = linkAbove(abs);
        if (link != null) {
            throw new BadInputException(given + ": beyond a symbolic link, " + repoPath(link)
                    + " (Coral does not read or write through links to folders in the working folder)");
        }
        if (Files.isSymbolicLink(abs) && Files.isDirectory(abs)) {
            throw new BadInputException(given + ": a symbolic link to a folder (Coral does not read or write through links to folders "
                    + "in the working folder)");
        }
        Path nested = nestedRepositoryAbove(abs);
        if (nested != null) {
            throw new BadInputException(given + ": inside " + repoPath(nested) + ", a repository of its own (it has a .coral folder); "
                    + "commit it there");
        }
    }

    /**
     * Deletes the working file of {@code repoPath} when it is there: not when a folder above it is
     * a symbolic link or not a folder (then there is no such file here, and nothing outside the
     * working folder is touched), nor when it is a folder. Returns whether a file was deleted.
     */
    public boolean deleteIfPresent(String repoPath) throws IOException {
        Path f = file(repoPath);
        return deletable(f) && BackgroundRelease.deleteIfExists(f);
    }

    /** Whether {@code f} may be a file of the working folder to delete: no link or file above it, not a folder. */
    private boolean deletable(Path f) {
        return linkAbove(f) == null && Files.isDirectory(f.getParent(), LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Deletes the working file of {@code repoPath} if it is there ({@link #deleteIfPresent}), then the
     * folders above it left empty, also when the file was already gone, as git does when it removes
     * a tracked file (its unlink counts a missing file as removed; found by the git differential
     * fuzz: a forced switch away from a staged file deleted beforehand left its empty folder, which
     * git removes). Nothing beyond a symbolic link. Returns whether a file was deleted.
     */
    public boolean deleteWithEmptyFolders(String repoPath) throws IOException {
        boolean deleted = deleteIfPresent(repoPath);
        Path f = file(repoPath);
        if (deleted || linkAbove(f) == null && !Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            deleteEmptyFoldersAbove(repoPath);
        }
        return deleted;
    }

    /** What {@link #deleteWithEmptyFolders(String, SeenFile)} did with a file. */
    public enum Deletion { DELETED, NONE, LEFT }

    /**
     * As {@link #deleteWithEmptyFolders(String)}, only if what is at the path is still what was
     * {@code seen} there (null: whatever is there): a file another process wrote since is left
     * ({@link Deletion#LEFT}), as are the folders above it.
     */
    public Deletion deleteWithEmptyFolders(String repoPath, SeenFile seen) throws IOException {
        if (seen == null) {
            return deleteWithEmptyFolders(repoPath) ? Deletion.DELETED : Deletion.NONE;
        }
        Path f = file(repoPath);
        boolean deletable = deletable(f);
        boolean deleted = deletable && BackgroundRelease.deleteIf(f, seen);
        boolean there = Files.exists(f, LinkOption.NOFOLLOW_LINKS);
        if (deleted || linkAbove(f) == null && !there) {
            deleteEmptyFoldersAbove(repoPath);
        }
        return deleted ? Deletion.DELETED : there && deletable ? Deletion.LEFT : Deletion.NONE;
    }

    /** Deletes the folders above {@code repoPath} that are empty, nearest first, up to the root (as git does after removing a file). */
    private void deleteEmptyFoldersAbove(String repoPath) throws BadInputException {
        for (Path d = file(repoPath).getParent(); d != null && d.startsWith(root) && !d.equals(root); d = d.getParent()) {
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                return; // a link (deleting it would delete the link, empty or not) or a file where a folder was: as rmdir, never
            }
            try {
                Files.delete(d);
            } catch (IOException e) {
                return; // not empty (or not ours to delete): the folders above it are not empty either
            }
        }
    }

    public static boolean isWeightFile(Path p) {
        return WeightFormats.forPath(p).isPresent();
    }

    /** Every weight file under {@code dir} (recursively), as repository paths, sorted; a file gone between the folder's listing and its visit is left out. */
    public List<String> weightFilesUnder(Path dir) throws IOException {
        return weightFilesUnder(dir, null);
    }

    /**
     * As {@link #weightFilesUnder(Path)}; a weight file no repository path can name (a backslash in
     * its name) goes to {@code unstorable} and is left out, or, with none, is refused naming it.
     */
    public List<String> weightFilesUnder(Path dir, java.util.function.Consumer<Path> unstorable) throws IOException {
        return weightFilesUnder(dir, unstorable, null);
    }

    /**
     * As {@link #weightFilesUnder(Path, java.util.function.Consumer)}; a folder the walk may not
     * open (permission denied: one a container made as root, say) goes to {@code unopened} and is
     * passed over, as git warns "could not open directory" and goes on; with none, it fails the walk.
     * Found running commands as a user other than root: one such folder anywhere in the working
     * folder failed every {@code status} and {@code add .}.
     */
    public List<String> weightFilesUnder(Path dir, java.util.function.Consumer<Path> unstorable,
                                         java.util.function.Consumer<Path> unopened) throws IOException {
        return weightFilesUnder(dir, unstorable, unopened, null);
    }

    /**
     * As {@link #weightFilesUnder(Path, java.util.function.Consumer, java.util.function.Consumer)};
     * each temporary file of a weight file the walk passes ({@link WorkTreeLeftovers#isLeftoverName},
     * of any age) goes to {@code leftovers} (may be null).
     */
    public List<String> weightFilesUnder(Path dir, java.util.function.Consumer<Path> unstorable,
                                         java.util.function.Consumer<Path> unopened,
                                         java.util.function.Consumer<Path> leftovers) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                boolean ownCoral = d.getFileName() != null && d.getFileName().toString().equals(CORAL_DIR) && d.getParent().equals(root);
                boolean nested = !d.equals(root) && holdsRepository(d);
                return ownCoral || nested ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE; // a nested repository is its own
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                String name = f.getFileName().toString();
                if (leftovers != null && attrs.isRegularFile() && WorkTreeLeftovers.isLeftoverName(name)) {
                    leftovers.accept(f);
                }
                if (attrs.isRegularFile() && isWeightFile(f) && !name.startsWith(".tmp-")) {
                    Path rel = root.relativize(f);
                    // a name of bytes that are not UTF-8 reads with U+FFFD in their place, a name no file has (fuzzing)
                    boolean unnamed = name.indexOf('\uFFFD') >= 0 && !Files.exists(Path.of(f.toString()), LinkOption.NOFOLLOW_LINKS);
                    if (unstorable != null && (hasBackslash(rel) || readsAsDrive(rel.toString()) || unnamed)) {
                        unstorable.accept(f);
                    } else if (unnamed) {
                        throw new BadInputException(f + ": a file name that is not UTF-8, which Coral cannot open by name; rename it");
                    } else {
                        out.add(repoPath(f));
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // replaced or removed meanwhile (a training job's temporary file, a checkout's)
                }
                if (e instanceof java.nio.file.AccessDeniedException && unopened != null && !f.equals(dir)) {
                    unopened.accept(f);
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        out.sort(null);
        return out;
    }

    /**
     * What a staged entry's file entry records of the file, looked up only when a working file must
     * be compared by content (an {@link ObjectGraph} answers from the store).
     */
    public interface RecordedContent {
        /**
         * The whole-file CRC32C of a staged entry's exact bytes as its file entry records it, or -1
         * (not recorded, or the file entry records other bytes than the entry's).
         */
        long crc32c(StagingIndex.Entry e) throws IOException;

        /**
         * The bytes the file entry records (its size and SHA-256, as an entry of the same file
         * entry) when they are not the staged entry's, else null. They differ after a checkout of
         * a value-identical file (an npz with deflated members): the checkout wrote a zip of its
         * own, while the file entry records the file as it was added, which is that version as
         * much as the file the checkout wrote (an add of it keeps the entry). Asked only of files
         * whose format may check out other bytes ({@link WeightFileFormat#mayRestoreOtherBytes}).
         */
        StagingIndex.Entry recordedBytes(StagingIndex.Entry e) throws IOException;
    }

    /**
     * True when the working file differs from what the staging entry recorded (or is gone): by
     * size, then by time, and by content when the time differs or the entry is unverified (see
     * {@link #sameContent}). A file holding the bytes the entry's file entry records does not
     * differ ({@link RecordedContent#recordedBytes}).
     */
    public boolean differs(String repoPath, StagingIndex.Entry e, RecordedContent recorded) throws IOException {
        Path f = file(repoPath);
        if (!isPresent(f)) {
            return true;
        }
        try {
            FileIngest.FileStat q = FileIngest.FileStat.quick(f);
            if (e.stampMatches(q)) {
                return false;
            }
            for (StagingIndex.Entry c : candidates(f, e, q.size(), recorded)) {
                if (sameContent(f, c, recorded) != null) {
                    return false;
                }
            }
            return true;
        } catch (NoSuchFileException gone) {
            return rethrowUnlessGone(gone, f, true);
        }
    }

    /**
     * {@code whenGone} when {@code e} says that the working file {@code f} went away while it was
     * compared (another process moved or deleted it: a training script rotating its checkpoints,
     * {@code coral mv} beside {@code coral status}, which then failed with "no such file or folder",
     * found by the concurrent fuzz); else {@code e} thrown.
     */
    private static <T> T rethrowUnlessGone(NoSuchFileException e, Path f, T whenGone) throws NoSuchFileException {
        if (f.toString().equals(e.getFile())) {
            return whenGone;
        }
        throw e;
    }

    /**
     * The versions of {@code e}'s bytes a working file {@code f} of {@code size} bytes may hold: the
     * entry's own, then, for a format whose checkout may write other bytes, its file entry's (a
     * safetensors or npy file is not looked up in the store: status of 400 touched safetensors
     * files took 33 ms in a warm process, 140 ms when every one was).
     */
    private static List<StagingIndex.Entry> candidates(Path f, StagingIndex.Entry e, long size, RecordedContent recorded)
            throws IOException {
        List<StagingIndex.Entry> out = new ArrayList<>(2);
        if (e.size() == size) {
            out.add(e);
        }
        if (!WeightFormats.forPath(f).map(WeightFileFormat::mayRestoreOtherBytes).orElse(false)) {
            return out;
        }
        StagingIndex.Entry other = recorded.recordedBytes(e);
        if (other != null && other.size() == size) {
            out.add(other);
        }
        return out;
    }

    /**
     * Reads {@code f} and compares it with the entry's content: by the CRC32C its file entry
     * records when there is one (C1, which checkout runs with, computes it with the CPU's CRC
     * instructions and SHA-256 without the SHA ones: an 84 MB file 0.02 s against 0.55 s), else by
     * SHA-256. Returns the size and time the file had as it was read, or null when it differs.
     */
    private static FileIngest.FileStat sameContent(Path f, StagingIndex.Entry e, RecordedContent recorded) throws IOException {
        long want = recorded.crc32c(e);
        if (want >= 0) {
            FileIngest.FileStat read = FileIngest.FileStat.crc32c(f);
            return read.crc32c() == want ? read : null;
        }
        FileIngest.FileStat read = FileIngest.FileStat.of(f);
        return Arrays.equals(read.sha256(), e.sha256()) ? read : null;
    }

    /**
     * An entry to be compared by content ({@link StagingIndex#UNVERIFIED}: after a reboot, or
     * racy): whether its file matches the recorded size and content, and if it does and its size
     * and time held while it was read, the entry restamped with them (keeping its unsynced mark),
     * trusted from then on once the index is written two seconds past the file's time.
     */
    public record ContentCheck(boolean matches, StagingIndex.Entry restamped) {
    }

    /**
     * Compares the working file of {@code e} by content (see {@link ContentCheck} and
     * {@link #sameContent}). Restamped only when the file holds the entry's own bytes: one holding
     * its file entry's ({@link RecordedContent#recordedBytes}) matches, but the entry keeps the
     * bytes it records (a checkout's), so that both files stay that version; restamped with the
     * file entry's, the checkout's own bytes read as a change once the entry and its file entry
     * recorded the same (found by review).
     */
    public ContentCheck checkContent(String repoPath, StagingIndex.Entry e, RecordedContent recorded) throws IOException {
        Path f = file(repoPath);
        if (!isPresent(f)) {
            return new ContentCheck(false, null);
        }
        try {
            FileIngest.FileStat before = FileIngest.FileStat.quick(f);
            for (StagingIndex.Entry c : candidates(f, e, before.size(), recorded)) {
                FileIngest.FileStat read = sameContent(f, c, recorded);
                if (read != null) {
                    FileIngest.FileStat after = FileIngest.FileStat.quick(f);
                    boolean held = c == e && read.sameStamp(before) && after.sameStamp(before);
                    return new ContentCheck(true, held ? new StagingIndex.Entry(e.fileEntry(), before.size(), before.mtimeMillis(),
                            before.changeStamp(), e.sha256(), e.unsynced()) : null);
                }
            }
            return new ContentCheck(false, null);
        } catch (NoSuchFileException gone) {
            return rethrowUnlessGone(gone, f, new ContentCheck(false, null));
        }
    }

    /**
     * A file whose time stamp is younger than this is not restamped by {@link #compare}: written
     * again within the clock's granularity after it was read, it would keep its size and time
     * with other bytes (git's "racy" entries). For the same reason an entry stamped less than this
     * before its index was written is read back unverified ({@link StagingIndex#isRacy}). Two
     * seconds: the coarsest time stamps in use (FAT's).
     */
    public static final long RACY_MILLIS = 2_000;

    /**
     * Compares the working file of a staged entry: by size, then by time, and by content when only
     * the time differs (a file touched, or written again with the same bytes) or the file has the
     * size of the bytes its file entry records ({@link RecordedContent#recordedBytes}). When the content
     * matches the entry's own bytes, size and time held while it was read, and the time is older than
     * {@value #RACY_MILLIS} ms, the entry restamped with them comes back, marked unsynced (its
     * bytes may not be on disk yet: after a reboot it is compared by content again), so that the
     * next status need not read the file again.
     */
    public ContentCheck compare(String repoPath, StagingIndex.Entry e, RecordedContent recorded) throws IOException {
        Path f = file(repoPath);
        if (isPresent(f)) {
            try {
                if (e.stampMatches(FileIngest.FileStat.quick(f))) {
                    return new ContentCheck(true, null);
                }
            } catch (NoSuchFileException gone) {
                return rethrowUnlessGone(gone, f, new ContentCheck(false, null));
            }
        }
        ContentCheck c = checkContent(repoPath, e, recorded); // a file gone, or of another size, is told apart there without reading it
        StagingIndex.Entry r = c.restamped();
        // without a boot id an unsynced entry is never trusted: restamped, the file would be read at every status all the same
        if (r == null || System.currentTimeMillis() - r.mtimeMillis() < RACY_MILLIS || BootId.current().isEmpty()) {
            return new ContentCheck(c.matches(), null);
        }
        return new ContentCheck(true, new StagingIndex.Entry(r.fileEntry(), r.size(), r.mtimeMillis(), r.changeStamp(), r.sha256(), true));
    }

    /** Whether the working file of {@code repoPath} is there (a regular file, not beyond a symbolic link). */
    public boolean exists(String repoPath) throws BadInputException {
        return isPresent(file(repoPath));
    }

    /**
     * Whether the working file {@code repoPath} cannot be looked at: a folder above it the user may
     * not search, so that it is neither there nor gone as far as Coral can tell (stat says
     * "permission denied"). Git leaves such a file as it was staged ("secret/a: Permission
     * denied"); taking it for deleted, {@code commit -a} committed its deletion (found running
     * commands as a user other than root).
     */
    public boolean isHidden(String repoPath) throws BadInputException {
        try {
            Files.readAttributes(file(repoPath), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return false;
        } catch (java.nio.file.AccessDeniedException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
