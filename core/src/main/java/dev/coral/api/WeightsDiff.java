package dev.coral.api;

import dev.coral.diff.FileChange;
import dev.coral.diff.FileComparison;
import dev.coral.error.BadInputException;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.repo.FileRestore;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link Repository#diff}: the tracked files that differ between two sides, tensor by tensor.
 * Files stored under the same file entry on both sides are equal and left out without being
 * read; so is a working file that status finds as staged (checking the selected paths only), unless
 * it was staged by a lossy commit. A working file that differs is parsed (as add parses it) and
 * read beside the stored version.
 */
final class WeightsDiff {
    private final Repository repo;
    /** The staging index, read once for both sides (null until a side needs it). */
    private StagingIndex index;

    WeightsDiff(Repository repo) {
        this.repo = repo;
    }

    private StagingIndex index() throws IOException {
        if (index == null) {
            index = repo.readIndex();
        }
        return index;
    }

    /**
     * What one side holds at a path: a stored file entry, or a working file to parse;
     * {@code cleanAs}: the staged entry status calls such a working file (a lossy one, read all
     * the same), or null.
     */
    private record Held(ObjectId entry, Path workingFile, ObjectId cleanAs) {
        Held(ObjectId entry) {
            this(entry, null, null);
        }

        /** Whether this is a working file status calls the very version {@code other} holds. */
        boolean cleanAgainst(Held other) {
            return cleanAs != null && other != null && cleanAs.equals(other.entry());
        }
    }

    /**
     * The files that differ; with {@code tensors} false, only which and how (added, deleted,
     * modified: their tensor lists left empty), reading no tensor where file entries or status
     * tell.
     */
    List<FileChange> diff(DiffSide from, DiffSide to, Collection<Path> paths, boolean tensors) throws IOException {
        List<String> prefixes = prefixes(paths);
        Map<String, Held> a = files(from, prefixes);
        Map<String, Held> b = files(to, prefixes);
        dev.coral.io.FaultPoints.hit("diff.listed");
        Set<String> all = new TreeSet<>(a.keySet());
        all.addAll(b.keySet());
        List<FileChange> out = new ArrayList<>();
        FileRestore restore = new FileRestore(repo.graph());
        for (String path : all) {
            Held x = a.get(path);
            Held y = b.get(path);
            if (x != null && y != null && x.entry() != null && x.entry().equals(y.entry())) {
                continue;
            }
            // a lossy version's working file against that version: the same file to status, a change only where values differ
            boolean clean = x != null && x.cleanAgainst(y) || y != null && y.cleanAgainst(x);
            if (!tensors && !clean) {
                FileChange.Kind kind = x == null ? FileChange.Kind.ADDED : y == null ? FileChange.Kind.DELETED : FileChange.Kind.MODIFIED;
                out.add(new FileChange(path, kind, List.of()));
                continue;
            }
            FileChange change;
            try (Side sx = open(x, restore, path); Side sy = open(y, restore, path)) {
                change = FileComparison.compare(path, sx.tensors(), sy.tensors());
            }
            if (clean && change.kind() == FileChange.Kind.MODIFIED && change.tensorsChanged() == 0) {
                continue; // a lossy version's working file holding the stored values: as status says, no change
            }
            out.add(tensors ? change : new FileChange(path, change.kind(), List.of()));
        }
        return out;
    }

    /** The repository paths the user's paths name ("" for the root: every path). */
    private List<String> prefixes(Collection<Path> paths) throws BadInputException {
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            Path abs = p.toAbsolutePath().normalize();
            out.add(abs.equals(repo.workTree().root()) ? "" : repo.workTree().repoPath(abs));
        }
        return out;
    }

    private static boolean selected(String path, List<String> prefixes) {
        if (prefixes.isEmpty()) {
            return true;
        }
        for (String p : prefixes) {
            if (p.isEmpty() || path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        return false;
    }

    private Map<String, Held> files(DiffSide side, List<String> prefixes) throws IOException {
        Map<String, Held> out = new TreeMap<>();
        switch (side.where()) {
            case NOTHING -> {
            }
            case REVISION -> repo.readTree(repo.resolve(side.revision())).files().forEach((path, id) -> {
                if (selected(path, prefixes)) {
                    out.put(path, new Held(id));
                }
            });
            case INDEX -> index().entries().forEach((path, e) -> {
                if (selected(path, prefixes)) {
                    out.put(path, new Held(e.fileEntry()));
                }
            });
            case WORK_TREE -> {
                StagingIndex staged = index();
                Set<String> modified = new HashSet<>();
                Set<String> deleted = new HashSet<>();
                for (Status.Change c : new StatusScan(repo).notStaged(staged, p -> selected(p, prefixes))) {
                    (c.kind() == Status.Kind.DELETED ? deleted : modified).add(c.path());
                }
                for (Map.Entry<String, StagingIndex.Entry> e : staged.entries().entrySet()) {
                    String path = e.getKey();
                    if (!selected(path, prefixes) || deleted.contains(path)) {
                        continue;
                    }
                    ObjectId entry = e.getValue().fileEntry();
                    // a working file status calls unchanged is the staged version, unless that is a lossy one:
                    // status counts the file as added as committed, but its values are not the stored ones
                    boolean changed = modified.contains(path);
                    boolean lossy = !changed && e.getValue().size() >= 0 && repo.readFileEntry(entry).isLossy() && repo.workTree().exists(path);
                    out.put(path, changed || lossy ? new Held(null, repo.workTree().root().resolve(path), lossy ? entry : null) : new Held(entry));
                }
            }
        }
        return out;
    }

    /** A side's tensors at a path, and what to close after reading them (a parsed working file). */
    private record Side(List<? extends TensorSource> tensors, ParsedWeightFile parsed) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (parsed != null) {
                parsed.close();
            }
        }
    }

    /**
     * No file on a side. Also a working file that went after the listing called it modified
     * (another process moved or removed it): deleted, as {@code status} would now say; it failed
     * "not a regular file" until 2026-12-07.
     */
    private static final Side GONE = new Side(null, null);

    private Side open(Held h, FileRestore restore, String path) throws IOException {
        if (h == null) {
            return GONE;
        }
        if (h.entry() != null) {
            List<StoredTensor> t = restore.tensors(repo.readFileEntry(h.entry()));
            return new Side(t, null);
        }
        Path f = h.workingFile();
        if (Files.notExists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return GONE;
        }
        if (!Files.isRegularFile(f)) { // a symbolic link is followed, as add and status follow it
            throw new BadInputException(path + ": not a regular file");
        }
        WeightFileFormat format = WeightFormats.forPath(f)
                .orElseThrow(() -> new BadInputException(path + ": not a weight file Coral reads"));
        try {
            ParsedWeightFile parsed = format.read(f);
            return new Side(parsed.tensors(), parsed);
        } catch (java.nio.file.NoSuchFileException gone) {
            if (f.toString().equals(gone.getFile())) {
                return GONE;
            }
            throw gone;
        }
    }
}
