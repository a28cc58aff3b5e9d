package dev.coral.cli;

import dev.coral.api.DiffSide;
import dev.coral.api.Repository;
import dev.coral.api.RevisionSet;
import dev.coral.diff.FileChange;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral log [--oneline] [-n N] [--json] [--all] [--first-parent] [REV...] [[--] PATH...]}. */
@Command(name = "log", description = {"Show the commits reachable from REV (default: HEAD), newest first.",
        "Several revisions: the commits any of them reaches; ^REV leaves out those REV reaches, A..B is B ^A (what B has "
                + "that A has not: main..exp, the commits of exp not yet on main), A...B what either has that not both have; "
                + "a side left out of a range is HEAD.",
        "With paths, only the commits that changed a file at or under them, history simplified as git log -- PATH does "
                + "(a merge that took one side's files there as they were follows only that side). Paths may follow --; "
                + "before it they must exist in the working tree."})
final class LogCommand extends Subcommand {
    @Option(names = "--oneline", description = "One line per commit: short id, subject, metrics.")
    boolean oneline;

    @Option(names = {"-n", "--max-count"}, paramLabel = "N", description = "Show at most N commits.")
    Integer maxCount;

    @Option(names = "--all", description = "Start from every branch and tag and HEAD (as well as any revisions given), as git log --all.")
    boolean all;

    @Option(names = "--first-parent", description = "Follow only the first parent of each merge: the branch's own history, each "
            + "merge one step of it (as git log --first-parent).")
    boolean firstParent;

    @Option(names = "--name-only", description = "After each commit, the paths of the files it changed against its parent "
            + "(a first commit: its files; a merge: none, as git), under the paths given if any.")
    boolean nameOnly;

    @Option(names = "--name-status", description = "As --name-only, each path after its status letter (A added, D deleted, "
            + "M modified) and a tab.")
    boolean nameStatus;

    @Mixin
    JsonOption output;

    @Parameters(arity = "0..*", paramLabel = "REV|PATH", description = "Revisions (branch, tag, id, HEAD~N, ^REV, A..B, A...B; "
            + "default: HEAD), then files or folders.")
    List<String> args = new ArrayList<>();

    /** The revision arguments, as given (none: HEAD). */
    private final List<String> revs = new ArrayList<>();

    @Override
    int execute() throws Exception {
        if (maxCount != null && maxCount < 0) {
            throw usage("-n " + maxCount + ": must not be negative");
        }
        if (nameOnly && nameStatus) {
            throw usage("--name-only and --name-status: give one of them");
        }
        PrintStream out = out();
        try (Repository repo = openRepository()) {
            List<Path> paths = revisionsAndPaths(repo);
            for (String r : revs) {
                for (String name : RevisionSet.names(r)) {
                    warnIfAmbiguous(repo, name);
                }
            }
            if (revs.isEmpty() && !all && repo.headCommit() == null) {
                String b = repo.currentBranch();
                throw new dev.coral.error.UnknownRevisionException(
                        "your current branch '" + (b == null ? "HEAD" : b) + "' does not have any commits yet");
            }
            int limit = maxCount == null ? -1 : maxCount;
            List<CommitWalk.Entry> entries = repo.log(all ? RevisionSet.all(repo, revs) : RevisionSet.parse(repo, revs), limit, paths,
                    firstParent);
            boolean names = nameOnly || nameStatus;
            if (output.json) {
                List<Object> list = new ArrayList<>();
                for (CommitWalk.Entry e : entries) {
                    Map<String, Object> j = CommitView.json(e.id(), e.commit());
                    if (names) {
                        j.put("changes", changes(repo, e, paths).stream().map(f -> Map.of("path", f.path(), "status", f.kind().word())).toList());
                    }
                    list.add(j);
                }
                out.println(JsonWriter.write(list));
                return 0;
            }
            Map<ObjectId, String> decorations = decorations(repo);
            boolean first = true;
            for (CommitWalk.Entry e : entries) {
                String d = decorations.get(e.id());
                if (oneline) {
                    out.println(CommitView.oneLine(e.id(), e.commit(), d));
                } else {
                    if (!first) {
                        out.println();
                    }
                    CommitView.printHeader(out, e.id(), e.commit(), d);
                }
                if (names) {
                    List<FileChange> changes = changes(repo, e, paths);
                    if (!oneline && !changes.isEmpty()) {
                        out.println();
                    }
                    for (FileChange f : changes) {
                        out.println((nameStatus ? f.kind().name().charAt(0) + "\t" : "") + Text.shown(f.path()));
                    }
                }
                first = false;
            }
        }
        return 0;
    }

    /**
     * Fills {@link #revs} from the positional arguments that are revisions, as git reads
     * {@code git log [REV...] [[--] PATH...]}, and returns the paths: without {@code --} the
     * revisions come first, and a path must exist in the working tree and not also name a
     * revision; with it, what comes before are revisions and what comes after any path.
     */
    private List<Path> revisionsAndPaths(Repository repo) throws Exception {
        boolean dashes = spec.commandLine().getParseResult().expandedArgs().contains("--");
        int beforeDashes = positionalsBeforeDoubleDash(args);
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            Path p = userPath(a);
            if (i >= beforeDashes) {
                paths.add(p);
                continue;
            }
            boolean revision = RevisionSet.isRevision(repo, a);
            if (!revision && RevisionSet.isRangeNotation(a) && (dashes || !Files.exists(p))) {
                RevisionSet.parse(repo, List.of(a)); // throws naming the side that names no commit
            }
            if (!paths.isEmpty() && revision && !Files.exists(p)) {
                throw usage("'" + a + "' is a revision after a path: give the revisions first, then the paths");
            }
            if (dashes) { // before --, as git: revisions only
                if (!revision) {
                    throw new dev.coral.error.UnknownRevisionException("unknown revision '" + a + "' (not a branch, tag or commit id)");
                }
                revs.add(a);
            } else if (paths.isEmpty() && revision) {
                if (Files.exists(p)) {
                    throw usage("'" + a + "' is both a revision and a path in the working tree: give the revisions before --, "
                            + "paths after it");
                }
                revs.add(a);
            } else if (Files.exists(p)) {
                paths.add(p);
            } else if (i == 0) {
                throw new dev.coral.error.UnknownRevisionException("unknown revision '" + a + "' (not a branch, tag or commit id, "
                        + "nor a path in the working tree: a path that is not there goes after --)");
            } else {
                throw usage("'" + a + "': unknown revision or path not in the working tree (use -- to separate paths from revisions)");
            }
        }
        return paths;
    }

    /**
     * The files commit {@code e} changed against its parent, under {@code paths} if any (repository
     * paths, sorted): a first commit's files added; none for a merge, as git's log shows none by default.
     */
    private static List<FileChange> changes(Repository repo, CommitWalk.Entry e, List<Path> paths) throws IOException {
        List<ObjectId> parents = e.commit().parents();
        if (parents.size() > 1) {
            return List.of();
        }
        DiffSide from = parents.isEmpty() ? DiffSide.NOTHING : DiffSide.revision(parents.get(0).hex());
        return repo.diffFiles(from, DiffSide.revision(e.id().hex()), paths);
    }

    /** {@code HEAD -> main, tag: v1, exp} per commit, as git log decorates. */
    static Map<ObjectId, String> decorations(Repository repo) throws IOException {
        Map<ObjectId, List<String>> names = new HashMap<>();
        ObjectId head = repo.headCommit();
        String current = repo.currentBranch();
        if (head != null && current == null) {
            names.computeIfAbsent(head, k -> new ArrayList<>()).add("HEAD");
        }
        for (String b : repo.branches()) {
            ObjectId tip = repo.branchTip(b);
            if (tip != null) {
                names.computeIfAbsent(tip, k -> new ArrayList<>()).add(b.equals(current) ? "HEAD -> " + b : b);
            }
        }
        for (String t : repo.tags()) {
            try {
                // by its full name: a branch of the same name resolves first (found by fuzzing against git)
                names.computeIfAbsent(repo.resolve("refs/tags/" + t), k -> new ArrayList<>()).add("tag: " + t);
            } catch (IOException e) {
                // a tag that does not resolve is not worth failing log over
            }
        }
        Map<ObjectId, String> out = new HashMap<>();
        names.forEach((id, list) -> {
            list.sort((a, b) -> Integer.compare(rank(a), rank(b)));
            out.put(id, String.join(", ", list));
        });
        return out;
    }

    private static int rank(String decoration) {
        return decoration.startsWith("HEAD") ? 0 : decoration.startsWith("tag: ") ? 2 : 1;
    }
}
