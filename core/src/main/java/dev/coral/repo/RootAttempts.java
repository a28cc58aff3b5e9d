package dev.coral.repo;

import dev.coral.io.Folders;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The first commits of branches that failed after their commit object was stored: a commit that
 * makes a branch ({@code parent == null}) writes its objects, then the branch's ref, and a full
 * disk (or a kill) between the two left a commit no ref names, which the lost-branch check ({@link
 * Refs#lostBranch}) took for the history of a branch whose ref file was lost: every later commit
 * and gc refused, and the message told the user to put back as a branch the commit that had failed
 * (found by {@code perf/tools/disk-full-fuzz.py --writers}, 2026-12-06). Such a commit leaves an
 * empty file named by its id in {@code .coral/roots}, and the check passes over the commits so
 * named.
 *
 * <p>Empty files, so that recording an attempt needs an inode and no block: the file is made
 * before the commit object is written, named {@code p} and 63 random hex digits (as long as an id,
 * so the rename to the id once it is known keeps the directory entry's size), and deleted once the
 * branch names the commit. A name that is neither is ignored. gc deletes the files of commits no
 * longer stored and of attempts older than {@link #STALE_MILLIS}.
 */
public final class RootAttempts {
    /** A pending attempt's file older than this belongs to a process long gone: gc removes it. */
    public static final long STALE_MILLIS = 600_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path folder;

    public RootAttempts(Path coralDir) {
        this.folder = coralDir.resolve("roots");
    }

    /** One first commit under way; {@link #close} deletes its file unless {@link #failedAfter} was called. */
    public final class Attempt implements AutoCloseable {
        private Path file;
        private boolean keep;

        private Attempt(Path file) {
            this.file = file;
        }

        /** Names the attempt by its commit, now stored: if the branch is not made, the commit is known for a failed one. */
        public void stored(ObjectId commit) throws IOException {
            Path named = folder.resolve(commit.hex());
            if (!file.equals(named)) {
                Files.move(file, named, StandardCopyOption.ATOMIC_MOVE);
                file = named;
            }
        }

        /**
         * The branch was not made after {@code commit} was written (or may have been stored): the
         * file stays, naming it; a failure to name it is added to {@code failure}.
         */
        public void failedAfter(ObjectId commit, Exception failure) {
            try {
                stored(commit);
                keep = true;
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }

        /** Best effort: a commit whose branch was made does not fail for a file left here (harmless beside the branch). */
        @Override
        public void close() {
            if (!keep || file.getFileName().toString().startsWith("p")) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // left: a pending one is removed by gc, one naming a commit the branch has is passed over for nothing
                }
            }
        }
    }

    /** Records a first commit about to store its commit object (an empty file: an inode, no block). */
    public Attempt begin() throws IOException {
        byte[] r = new byte[32];
        RANDOM.nextBytes(r);
        Path f = folder.resolve("p" + HexFormat.of().formatHex(r).substring(1));
        try {
            Folders.ensure(folder);
            Files.createFile(f);
        } catch (FileSystemException e) { // no inode left: the folder, not a name the user never sees
            throw new FileSystemException(folder.toString(), null, e.getReason());
        }
        return new Attempt(f);
    }

    /** The commits failed first commits left (none if the folder is missing or unreadable). */
    public Set<ObjectId> failed() {
        Set<ObjectId> out = new HashSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path p : s) {
                ObjectId id = idOf(p.getFileName().toString());
                if (id != null) {
                    out.add(id);
                }
            }
        } catch (IOException | RuntimeException e) {
            // none known: the check then sees every stored commit, as before attempts were recorded
        }
        return out;
    }

    /**
     * Deletes the files of commits {@code stillFailed} turns down (gc: no longer stored) and of
     * pending attempts older than {@link #STALE_MILLIS} at {@code nowMillis}; returns how many.
     * Best effort. Two first commits at once both pass the lost-branch check while the other's
     * commit is named here; the branch's compare-and-swap takes one, and the other goes onto it.
     */
    public int prune(Predicate<ObjectId> stillFailed, long nowMillis) {
        int removed = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                ObjectId id = idOf(name);
                boolean drop = id != null ? !stillFailed.test(id)
                        : name.startsWith("p") && nowMillis - Files.getLastModifiedTime(p).toMillis() > STALE_MILLIS;
                if (drop && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | RuntimeException e) {
            // what is left is removed by the next gc
        }
        return removed;
    }

    private static ObjectId idOf(String name) {
        if (name.length() != 64 || name.startsWith("p")) {
            return null;
        }
        try {
            return ObjectId.fromHex(name);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
