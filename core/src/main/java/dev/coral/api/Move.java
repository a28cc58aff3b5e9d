package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.WorkTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Git's {@code mv}: renames tracked files or folders in the working folder and moves their staged
 * entries to the new paths, reading no file again (a staged file's content is what it was; a
 * local change stays a local change, at the new path). Everything is checked before anything
 * moves; a rename that fails puts back those done before it, and the index is written only
 * after all of them.
 */
final class Move {
    /** One source's move: its repository path, where it goes, and the tracked paths under it. */
    record Planned(String from, String to, List<String> tracked) {
    }

    private final Repository repo;
    private final WorkTree workTree;

    Move(Repository repo, WorkTree workTree) {
        this.repo = repo;
        this.workTree = workTree;
    }

    /**
     * Moves {@code sources} to {@code destination}: one source to a new name, or any number into
     * an existing folder. {@code force} lets a source file replace a file there (a folder, never).
     */
    List<Repository.Moved> run(List<Path> sources, Path destination, boolean force) throws IOException {
        if (sources.isEmpty()) {
            throw new BadInputException("nothing to move");
        }
        try (RepositoryLock.Held l = repo.lockIndex()) {
            TreeMap<String, StagingIndex.Entry> index = new TreeMap<>(repo.readIndex().entries());
            String dest = workTree.repoPath(destination);
            Path destFile = dest.isEmpty() ? workTree.root() : workTree.file(dest);
            boolean intoFolder = Files.isDirectory(destFile, LinkOption.NOFOLLOW_LINKS);
            if (sources.size() > 1 && !intoFolder) {
                throw new BadInputException(destination + ": not a folder (moving several paths, the last names a folder they go into)");
            }
            List<Planned> plans = new ArrayList<>();
            Set<String> targets = new HashSet<>();
            for (Path s : sources) {
                Planned p = plan(s, dest, intoFolder, force, index);
                if (!targets.add(p.to())) {
                    throw new BadInputException(s + ": another source goes to '" + p.to() + "' too");
                }
                plans.add(p);
            }
            List<Planned> done = new ArrayList<>();
            try {
                for (Planned p : plans) {
                    Files.move(workTree.file(p.from()), workTree.file(p.to()), StandardCopyOption.ATOMIC_MOVE);
                    done.add(p);
                }
                List<Repository.Moved> moved = new ArrayList<>();
                for (Planned p : plans) {
                    index.keySet().removeIf(k -> WorkTree.isUnder(k, p.to())); // what -f replaced, or a staged path whose file was gone
                    for (String k : p.tracked()) {
                        StagingIndex.Entry e = index.remove(k);
                        String to = p.to() + k.substring(p.from().length());
                        index.put(to, e.unverified(e.unsynced())); // renamed: its change stamp is new, so status compares content
                        moved.add(new Repository.Moved(k, to));
                    }
                }
                new StagingIndex(index).write(repo.indexFile());
                return moved;
            } catch (IOException | RuntimeException e) {
                // the files go back where the index still has them (a full disk failed the index's write
                // after the renames: the file had moved and the index still named the old path)
                for (int i = done.size() - 1; i >= 0; i--) {
                    try {
                        Files.move(workTree.file(done.get(i).to()), workTree.file(done.get(i).from()), StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException back) {
                        e.addSuppressed(back);
                    }
                }
                throw e;
            }
        }
    }

    private Planned plan(Path source, String dest, boolean intoFolder, boolean force, TreeMap<String, StagingIndex.Entry> index)
            throws IOException {
        String from = workTree.repoPath(source);
        if (from.isEmpty()) {
            throw new BadInputException(source + ": the repository's own folder cannot be moved");
        }
        Path fromFile = workTree.file(from);
        refuseBeyondALink(source.toString(), fromFile);
        if (!Files.exists(fromFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInputException(source + ": not in the working folder");
        }
        List<String> tracked = index.keySet().stream().filter(k -> WorkTree.isUnder(k, from)).toList();
        if (tracked.isEmpty()) {
            throw new BadInputException(source + ": not tracked");
        }
        for (String k : tracked) { // as git's "bad source" (found by fuzzing against git): a folder's staged files must be there
            if (!Files.exists(workTree.file(k), LinkOption.NOFOLLOW_LINKS)) {
                throw new BadInputException(k + ": staged but not in the working folder (restore it, or coral rm it, first)");
            }
        }
        String name = from.substring(from.lastIndexOf('/') + 1);
        String to = intoFolder ? (dest.isEmpty() ? name : dest + "/" + name) : dest;
        WorkTree.checkRepoPath(to);
        if (to.equals(from)) {
            throw new BadInputException(source + ": is already there");
        }
        if (WorkTree.isUnder(to, from)) {
            throw new BadInputException(source + ": cannot be moved into itself");
        }
        Path toFile = workTree.file(to);
        refuseBeyondALink(to, toFile);
        if (!Files.isDirectory(toFile.getParent(), LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInputException(to + ": its folder does not exist");
        }
        boolean folder = Files.isDirectory(fromFile, LinkOption.NOFOLLOW_LINKS);
        // as git's: what is in the working folder there; a staged path whose file is gone is replaced (found by fuzzing against git)
        boolean taken = Files.exists(toFile, LinkOption.NOFOLLOW_LINKS);
        if (taken && (!force || folder || Files.isDirectory(toFile, LinkOption.NOFOLLOW_LINKS))) {
            throw new BadInputException(to + ": already exists" + (force || folder ? "" : " (-f replaces a file)"));
        }
        if (!folder) {
            keepsItsFormat(from, to, index.get(from));
        }
        return new Planned(from, to, tracked);
    }

    /** Coral never moves through a folder that is a symbolic link (as it never writes or deletes through one). */
    private void refuseBeyondALink(String named, Path file) throws BadInputException {
        Path link = workTree.linkAbove(file);
        if (link != null) {
            throw new BadInputException(named + ": beyond a symbolic link (" + link + ")");
        }
    }

    /** Refuses a new name whose extension is another format's (or none Coral reads): the file would read as what it is not. */
    private void keepsItsFormat(String from, String to, StagingIndex.Entry e) throws IOException {
        String format = repo.readFileEntry(e.fileEntry()).format();
        Optional<WeightFileFormat> named = WeightFormats.forPath(Path.of(to));
        if (named.isEmpty() || !named.get().name().equals(format)) {
            throw new BadInputException(to + ": " + (named.isEmpty() ? "not a weight file name" : "a ." + named.get().name() + " name")
                    + " for the " + format + " file " + from + " (keep its extension)");
        }
    }
}
