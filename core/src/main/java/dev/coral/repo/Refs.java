package dev.coral.repo;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.LockFailedException;
import dev.coral.io.ChecksummedFile;
import dev.coral.io.Folders;
import dev.coral.io.LockFile;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Branches, tags, HEAD and ORIG_HEAD under {@code .coral}. Every ref is a {@link ChecksummedFile} holding
 * an object id ({@code CORALREF} v1: 32 id bytes); HEAD ({@code CORALHED} v1) holds either
 * {@code ref: refs/heads/NAME} or a commit id in hex (detached). Updates are compare-and-swap
 * under {@link LockFile}s; reads always re-read the file. Thread-safe.
 */
public final class Refs {
    static final String REF_MAGIC = "CORALREF";
    static final String HEAD_MAGIC = "CORALHED";
    /** Most bytes HEAD or a ref file can hold: a branch name or an id, and the frame around it. */
    static final int MAX_REF_FILE_BYTES = 64 << 10;
    private static final String SYMREF = "ref: refs/heads/";

    private final Path coralDir;

    public Refs(Path coralDir) {
        this.coralDir = coralDir;
    }

    /** What HEAD points at: a branch (which may not exist yet) or a detached commit. */
    public record Head(String branch, ObjectId detached) {
        public boolean isDetached() {
            return branch == null;
        }
    }

    /**
     * The damage of HEAD naming {@code branch}, which does not exist, while the repository stores
     * commits: Coral makes no unborn branch once there are commits (no orphan branches), so its ref
     * file was lost, and a commit on it (a new root history) or a gc (deleting the old one) would
     * lose that history (found by fuzzing). Commit, gc and repack refuse with it.
     */
    public static CorruptObjectException lostBranch(String branch) {
        return new CorruptObjectException("HEAD names branch '" + branch + "', which does not exist, though the repository stores"
                + " commits (put the branch back with 'coral branch " + branch + " COMMIT'; 'coral fsck' names the newest commit"
                + " nothing reaches)");
    }

    /**
     * Refuses a symbolic link in the place of HEAD or a ref: Coral writes them as files, so a link
     * is damage, and following it would read another ref's id (or a device) as this one's.
     */
    private static void refuseLink(Path p, String what) throws CorruptObjectException {
        if (Files.isSymbolicLink(p)) {
            throw new CorruptObjectException(p + ": a symbolic link where Coral keeps " + what + " as a file");
        }
    }

    /** Outcome of a compare-and-swap ref update. */
    public enum UpdateResult { UPDATED, MOVED_MEANWHILE }

    public Head head() throws IOException {
        Path file = coralDir.resolve("HEAD");
        refuseLink(file, "HEAD");
        String s;
        try {
            s = new String(ChecksummedFile.read(file, HEAD_MAGIC, 1, 1, MAX_REF_FILE_BYTES).bytes(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CorruptObjectException(file + ": missing (checkout --force BRANCH writes it again)");
        }
        if (s.startsWith(SYMREF)) {
            return new Head(s.substring(SYMREF.length()), null);
        }
        if (s.length() == 64 && ObjectId.isHex(s)) {
            return new Head(null, ObjectId.fromHex(s));
        }
        throw new CorruptObjectException(coralDir.resolve("HEAD") + ": neither a branch nor a commit id");
    }

    public void setHeadToBranch(String branch) throws IOException {
        try (HeadUpdate u = lockHead()) {
            u.toBranch(branch);
        }
    }

    public void setHeadDetached(ObjectId commit) throws IOException {
        try (HeadUpdate u = lockHead()) {
            u.toCommit(commit);
        }
    }

    /**
     * Takes HEAD's lock ahead of a change that ends by moving HEAD: a checkout takes it before it
     * writes the first file, so that a HEAD another writer holds fails it before anything changed.
     */
    public HeadUpdate lockHead() throws IOException {
        return new HeadUpdate(LockFile.acquire(coralDir.resolve("HEAD")));
    }

    /** HEAD's lock, held: moves HEAD once, then releases it (as does {@link #close}). */
    public static final class HeadUpdate implements AutoCloseable {
        private final LockFile lock;

        private HeadUpdate(LockFile lock) {
            this.lock = lock;
        }

        public void toBranch(String branch) throws IOException {
            write(SYMREF + RefName.check("branch", branch));
        }

        public void toCommit(ObjectId commit) throws IOException {
            write(commit.hex());
        }

        private void write(String content) throws IOException {
            lock.commit(ChecksummedFile.encode(HEAD_MAGIC, 1, content.getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public void close() throws IOException {
            lock.close();
        }
    }

    /** The commit HEAD resolves to, or null on an unborn branch. */
    public ObjectId headCommit() throws IOException {
        Head h = head();
        return h.isDetached() ? h.detached() : branch(h.branch());
    }

    /** True when {@code name} is a valid branch name and the branch exists. */
    public boolean isBranch(String name) throws IOException {
        try {
            RefName.check("branch", name);
        } catch (BadInputException e) {
            return false;
        }
        return branch(name) != null;
    }

    public ObjectId branch(String name) throws IOException {
        return read(branchPath(name));
    }

    /** The id a tag names (a commit, or an annotated tag object), or null. */
    public ObjectId tag(String name) throws IOException {
        return read(tagPath(name));
    }

    private ObjectId read(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !list(p).isEmpty()) {
            return null; // the folder of refs named NAME/...: no ref NAME (a folder holding none is damage, named below)
        }
        try {
            refuseLink(p, "a ref");
            byte[] body = ChecksummedFile.read(p, REF_MAGIC, 1, 1, MAX_REF_FILE_BYTES).bytes();
            if (body.length != ObjectId.BYTES) {
                throw new CorruptObjectException(p + ": holds " + body.length + " bytes, not an object id");
            }
            return ObjectId.fromBytes(body);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.file.FileSystemException e) {
            if (underAFile(p)) { // a/b while ref a is a file: no ref a/b (the OS says "Not a directory"; found by fuzzing against git)
                return null;
            }
            throw e;
        }
    }

    /** Whether a folder {@code p} would be in, below {@code .coral}, is a file. */
    private boolean underAFile(Path p) {
        for (Path d = p.getParent(); d != null && d.startsWith(coralDir) && !d.equals(coralDir); d = d.getParent()) {
            if (Files.isRegularFile(d, LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    /** The file of {@code ORIG_HEAD}: the commit HEAD was at before the last {@code coral reset} moved it (git's). */
    public static final String ORIG_HEAD = "ORIG_HEAD";

    /**
     * The commit HEAD was at before the last reset moved it, or null when no reset has: a root
     * for gc and repack, so that {@code coral reset --hard ORIG_HEAD} can undo a reset made by
     * mistake, as git's reflog lets one.
     */
    public ObjectId origHead() throws IOException {
        return read(coralDir.resolve(ORIG_HEAD));
    }

    /** Records {@code commit} as {@link #origHead()}. */
    public void setOrigHead(ObjectId commit) throws IOException {
        Path p = coralDir.resolve(ORIG_HEAD);
        try (LockFile lf = LockFile.acquire(p)) {
            refuseLink(p, ORIG_HEAD);
            lf.commit(ChecksummedFile.encode(REF_MAGIC, 1, commit.toBytes()));
        }
    }

    /**
     * Moves a branch to {@code newId} if it still points at {@code expected} (null: must not
     * exist yet).
     */
    public UpdateResult updateBranch(String name, ObjectId expected, ObjectId newId) throws IOException {
        return compareAndSet(branchPath(name), expected, newId);
    }

    /** Creates a tag; fails if it exists. */
    public void createTag(String name, ObjectId target) throws IOException {
        if (compareAndSet(tagPath(name), null, target) != UpdateResult.UPDATED) {
            throw new BadInputException("tag '" + name + "' already exists");
        }
    }

    /** Points tag {@code name} at {@code target}, replacing the tag of that name if there is one. */
    public void replaceTag(String name, ObjectId target) throws IOException {
        Path p = tagPath(name);
        for (int attempt = 0; ; attempt++) {
            ObjectId was = read(p);
            if (compareAndSet(p, was, target) == UpdateResult.UPDATED) {
                return;
            }
            if (attempt == 10) {
                throw new LockFailedException("tag '" + name + "' kept changing; try again");
            }
        }
    }

    public boolean deleteBranch(String name) throws IOException {
        return delete(branchPath(name), null);
    }

    /** Deletes branch {@code name} if it still points at {@code expected}; false if it does not (or is gone). */
    public boolean deleteBranch(String name, ObjectId expected) throws IOException {
        return delete(branchPath(name), expected);
    }

    public boolean deleteTag(String name) throws IOException {
        return delete(tagPath(name), null);
    }

    /**
     * Deletes a ref (if it points at {@code expected}, when not null), then the folders its name
     * made that hold nothing else (as git: 'a/b' gone, 'a' can be a name again).
     */
    private boolean delete(Path p, ObjectId expected) throws IOException {
        try (LockFile lf = LockFile.acquire(p)) {
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || expected != null && !expected.equals(read(p))) {
                return false;
            }
            lf.delete();
        }
        Path root = refsFolderOf(p);
        for (Path d = p.getParent(); d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (IOException e) {
                break; // not empty (or gone): best effort, an empty folder left is no ref
            }
        }
        return true;
    }

    /** refs/heads or refs/tags, whichever holds {@code p}. */
    private Path refsFolderOf(Path p) {
        Path heads = coralDir.resolve("refs/heads");
        return p.startsWith(heads) ? heads : coralDir.resolve("refs/tags");
    }

    /**
     * Refuses a new ref whose name clashes with the folders of others, as git does: {@code a}
     * while {@code a/b} exists (an empty folder {@code a} left behind is removed), or {@code a/b}
     * while {@code a} exists.
     */
    private void refuseClash(Path p) throws IOException {
        Path root = refsFolderOf(p);
        String kind = root.endsWith("heads") ? "branch" : "tag";
        for (Path d = p.getParent(); d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            if (Files.isRegularFile(d, LinkOption.NOFOLLOW_LINKS)) {
                throw new BadInputException(kind + " '" + name(root, p) + "' cannot be created: " + kind + " '" + name(root, d)
                        + "' exists");
            }
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            List<String> under = list(p);
            if (!under.isEmpty()) {
                throw new BadInputException(kind + " '" + name(root, p) + "' cannot be created: " + kind + " '" + name(root, p) + "/"
                        + under.get(0) + "' exists");
            }
            Folders.deleteTree(p); // empty folders only: no ref was listed under it
        }
    }

    private static String name(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    private UpdateResult compareAndSet(Path p, ObjectId expected, ObjectId newId) throws IOException {
        if (expected == null) {
            refuseClash(p);
        }
        try (LockFile lf = LockFile.acquire(p)) {
            ObjectId current = read(p);
            if (current == null ? expected != null : !current.equals(expected)) {
                return UpdateResult.MOVED_MEANWHILE;
            }
            lf.commit(ChecksummedFile.encode(REF_MAGIC, 1, newId.toBytes()));
            return UpdateResult.UPDATED;
        }
    }

    public List<String> branches() throws IOException {
        return list(refFolder("refs/heads", false));
    }

    public List<String> tags() throws IOException {
        return list(refFolder("refs/tags", false));
    }

    /**
     * Refuses a repository whose {@code refs/heads} or {@code refs/tags} is not a folder, or
     * (with {@code mustExist}) is missing: {@code init} makes both and nothing removes them. Read
     * as holding no refs, such a folder had fsck say "no problems" and gc delete every commit
     * (found by fuzzing); gc, repack and fsck call this before they trust the refs.
     */
    public void requireRefFolders() throws IOException {
        refFolder("refs/heads", true);
        refFolder("refs/tags", true);
    }

    private Path refFolder(String name, boolean mustExist) throws CorruptObjectException {
        Path dir = coralDir.resolve(name);
        boolean exists = Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        if (exists && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new CorruptObjectException(dir + ": not a folder (Coral keeps its " + (name.endsWith("heads") ? "branches" : "tags")
                    + " in it)");
        }
        if (!exists && mustExist) {
            throw new CorruptObjectException(dir + ": missing (every repository has it; its " + (name.endsWith("heads") ? "branches"
                    : "tags") + " are lost unless put back)");
        }
        return dir;
    }

    /**
     * The refs under {@code dir} (names relative to it), without the lock and temporary files of
     * updates in progress. Those come and go while other threads and processes commit: one that
     * vanishes between the folder's listing and its own visit is skipped, not an error.
     */
    private static List<String> list(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                // no ref name ends with .lock or starts with '.': a folder so named (a damaged lock) holds none
                String name = d.getFileName().toString();
                return !d.equals(dir) && (name.endsWith(".lock") || name.startsWith(".")) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                String n = dir.relativize(p).toString().replace('\\', '/');
                // a link or a device in a ref's place is listed, to fail as damage where it is read (it was skipped:
                // fsck said a repository whose branch was a link to /dev/zero had no problems; found by fuzzing)
                if (!attrs.isDirectory() && !n.endsWith(".lock") && !p.getFileName().toString().startsWith(".")) {
                    out.add(n);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // an update's lock or temporary file, gone meanwhile
                }
                throw e;
            }
        });
        out.sort(null);
        return out;
    }

    private Path branchPath(String name) throws BadInputException {
        return coralDir.resolve("refs/heads").resolve(RefName.check("branch", name));
    }

    private Path tagPath(String name) throws BadInputException {
        return coralDir.resolve("refs/tags").resolve(RefName.check("tag", name));
    }
}
