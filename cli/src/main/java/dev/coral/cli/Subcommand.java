package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnknownRevisionException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Base of every {@code coral} subcommand: {@code --help}, access to the root's working folder and
 * output, and {@link #usage} for errors the parser cannot see. Subclasses implement {@link #execute}.
 */
abstract class Subcommand implements Callable<Integer> {
    @ParentCommand
    CoralCommand coral;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean helpRequested;

    @Override
    public final Integer call() throws Exception {
        String badDirectory = coral.directoryProblem();
        if (badDirectory != null) {
            throw usage(badDirectory);
        }
        return execute();
    }

    /** Runs the command; returns the exit code. */
    abstract int execute() throws Exception;

    /** Standard output; with {@code -q/--quiet} ({@link QuietOption}), a stream that discards what it is given. */
    PrintStream out() {
        return quiet() ? DISCARDED : coral.session().out();
    }

    private static final PrintStream DISCARDED = new PrintStream(java.io.OutputStream.nullOutputStream());

    /** Whether this command has {@link QuietOption} and it was given. */
    boolean quiet() {
        CommandLine.Model.OptionSpec q = spec.findOption("--quiet");
        return q != null && Boolean.TRUE.equals(q.getValue());
    }

    /** Progress on standard error when it is a terminal, none with {@code -q/--quiet}. */
    TerminalProgress progress() {
        return quiet() ? new TerminalProgress(coral.session().err(), false) : coral.progress();
    }

    Repository openRepository() throws IOException {
        return coral.openRepository();
    }

    /** Says on standard error that {@code command} waits for commits in progress (it shuts the writers' gate). */
    void waiting(String command) {
        if (quiet()) {
            return;
        }
        coral.session().err().println("coral " + command + ": waiting for commits in progress to finish");
    }

    /**
     * Says on standard error what of the working folder the command could not look at and passed
     * over ({@link Repository#unreadablePaths}): folders, as git's "warning: could not open
     * directory 'x/': Permission denied", and tracked files left as they were staged.
     */
    void warnOfUnreadablePaths(Repository repo) {
        for (String f : repo.unreadablePaths()) {
            coral.session().err().println(f.endsWith("/")
                    ? "coral: warning: could not open folder '" + Text.shown(f) + "': permission denied"
                    : "coral: warning: could not look at '" + Text.shown(f) + "' (permission denied): left as it was staged");
        }
    }

    /**
     * After a write that succeeded: says on standard error if merging small packs or saving the
     * similarity index failed (the write stands), and what of the working folder an add passed over.
     */
    void warnOfPackUpkeep(Repository repo) {
        warnOfUnreadablePaths(repo);
        String problem = repo.packUpkeepProblem();
        if (problem != null) {
            coral.session().err().println("coral: warning: " + problem);
        }
        String similarity = repo.similarityProblem();
        if (similarity != null) {
            coral.session().err().println("coral: warning: " + similarity);
        }
    }

    /**
     * Whether {@code first}, the first positional argument, came after {@code --} on the command
     * line (picocli fills REV from it all the same): then it is a path, as in git.
     */
    boolean isAfterDoubleDash(String first) {
        List<String> args = spec.commandLine().getParseResult().expandedArgs();
        int dashes = args.indexOf("--");
        return dashes >= 0 && !args.subList(0, dashes).contains(first);
    }

    /**
     * How many of the command's {@code positionals} came before {@code --} on the command line (all
     * of them without one): picocli takes everything after {@code --} as positional, so the rest
     * came before it, whatever options with values stood among them.
     */
    int positionalsBeforeDoubleDash(List<String> positionals) {
        List<String> args = spec.commandLine().getParseResult().expandedArgs();
        int dashes = args.indexOf("--");
        return dashes < 0 ? positionals.size() : positionals.size() - (args.size() - dashes - 1);
    }

    /** Whether {@code s} names a commit of {@code repo} (a branch, tag, id or HEAD~N). */
    static boolean isRevision(Repository repo, String s) throws IOException {
        try {
            repo.resolve(s);
            return true;
        } catch (UnknownRevisionException e) {
            return false;
        }
    }

    /**
     * Says on standard error, as git does, when {@code rev} starts from a name that is both a
     * branch and a tag, and which one is taken: as a revision the tag; {@code exactTaken} (e.g.
     * checkout's "checkout takes the branch") when {@code rev} is that name itself, if not null.
     */
    void warnIfAmbiguous(Repository repo, String rev, String exactTaken) throws IOException {
        String name = repo.ambiguousName(rev);
        if (name != null) {
            String taken = exactTaken != null && name.equals(rev) ? exactTaken : "the tag is taken";
            coral.session().err().println("coral: warning: refname '" + name + "' is ambiguous: a branch and a tag; " + taken
                    + " (refs/heads/" + name + " or refs/tags/" + name + " says which)");
        }
    }

    /** The author a commit records: {@code --author} as given, or the default; an empty one is a usage error, as git refuses an empty ident. */
    String authorOf(String given) {
        if (given != null && given.isBlank()) {
            throw usage("--author: empty; give a name (as git refuses an empty ident)");
        }
        return given != null ? given : dev.coral.api.CommitRequest.defaultAuthor(coral.session().env());
    }

    /**
     * {@code rev}, or {@code refs/heads/rev} when it is exactly a name that is both a branch and a
     * tag: as git's checkout REV -- PATH and restore --source take the branch there (found by the
     * git differential fuzz, seed 800028), while {@code rev~0} and other revisions take the tag.
     */
    static String branchFirst(Repository repo, String rev) throws IOException {
        return rev.equals(repo.ambiguousName(rev)) ? "refs/heads/" + rev : rev;
    }

    /** As {@link #warnIfAmbiguous(Repository, String, String)} for a revision: the tag is taken. */
    void warnIfAmbiguous(Repository repo, String rev) throws IOException {
        warnIfAmbiguous(repo, rev, null);
    }

    /**
     * HEAD's commit when HEAD is detached (commits made there can be left behind by moving it),
     * else null; null too when HEAD cannot be read (a forced checkout replaces a damaged one).
     */
    static ObjectId detachedHead(Repository repo) throws IOException {
        try {
            return repo.currentBranch() == null ? repo.headCommit() : null;
        } catch (CorruptObjectException e) {
            return null;
        }
    }

    /**
     * After HEAD moved away from {@code detached} (null: it was on a branch): says on standard
     * error, as git does, when no branch, tag or HEAD reaches that commit any more.
     */
    /**
     * Names the files a checkout left as another process wrote them after its check for local
     * changes (a training loop's new checkpoint): not lost, and now a local change.
     */
    void warnOfFilesLeft(Repository.CheckoutResult r) {
        warnOfFilesLeft(r.leftAsFound());
    }

    void warnOfFilesLeft(List<String> leftAsFound) {
        for (String path : leftAsFound) {
            coral.session().err().println("coral: warning: " + path + ": written by another process while the command ran; left as that"
                    + " process wrote it (a local change now)");
        }
    }

    void warnIfLeftBehind(Repository repo, ObjectId detached) {
        if (detached == null) {
            return;
        }
        String id = Text.shortId(detached);
        try {
            if (!repo.isReachable(detached)) {
                coral.session().err().println("coral: warning: commit " + id + " (" + Text.shown(repo.readCommit(detached).subject())
                        + ") is left on no branch or tag, and gc will remove it; 'coral branch NAME " + id + "' keeps it");
            }
        } catch (IOException e) { // the command itself is done: a damaged ref or pack must not fail it afterwards
            coral.session().err().println("coral: warning: cannot tell whether commit " + id + " is left on no branch or tag: "
                    + e.getMessage());
        }
    }

    /**
     * A path argument resolved against {@link #workDir()}. An empty one is a usage error, as in
     * git: taken as the current folder, {@code coral rm "$UNSET"} would remove every tracked file there.
     */
    Path userPath(String path) {
        if (path.isEmpty()) {
            throw usage("empty path: give a file or folder ('.' for the current folder)");
        }
        return coral.userPath(path);
    }

    /** The folder relative paths are taken against ({@code -C DIR}, else the process's). */
    Path workDir() {
        return coral.workDir();
    }

    List<Path> userPaths(List<String> paths) {
        return paths.stream().map(this::userPath).toList();
    }

    /** A usage error found after parsing: exits 2 like the parser's own. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
