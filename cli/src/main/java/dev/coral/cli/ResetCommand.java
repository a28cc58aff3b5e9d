package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.api.Status;
import dev.coral.error.BadInputException;
import dev.coral.repo.Commit;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral reset [--soft|--mixed|--hard] [REV]} and {@code coral reset [REV] [--] PATH...}, as git's reset. */
@Command(name = "reset", description = {
    "Move the current branch to REV (default: HEAD), as git reset; or unstage PATHs.",
    "--soft moves only the branch (or a detached HEAD): what is staged and the working files stay, and a commit "
        + "makes them one again. --mixed (the default) also makes what is staged REV's files: the working files "
        + "stay, as changes not staged. --hard also overwrites the tracked working files with REV's, discarding "
        + "local changes, and deletes the tracked files REV lacks; untracked files are left alone.",
    "The commit the branch was at is kept as ORIG_HEAD, a revision that gc keeps, so 'coral reset --hard ORIG_HEAD' "
        + "undoes a reset. Commits no branch, tag or HEAD reaches after a second reset are left to gc.",
    "With PATHs (after REV, or after --): what is staged for them becomes REV's version (default: HEAD's), as "
        + "'coral restore --staged --source REV PATH...'; HEAD and the working files stay. As git's: without --, a "
        + "first argument that is no revision is a path (then all are), and must be in the working folder; one that is both "
        + "is refused; a path matching no tracked file is nothing to do."})
final class ResetCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @ArgGroup(exclusive = true)
    Mode mode;

    /** The three modes, one at most. */
    static final class Mode {
        @Option(names = "--soft", description = "Move only the branch.")
        boolean soft;

        @Option(names = "--mixed", description = "Move the branch and make what is staged REV's files (the default).")
        boolean mixed;

        @Option(names = "--hard", description = "Move the branch and make what is staged and the working files REV's.")
        boolean hard;
    }

    @Parameters(index = "0", arity = "0..1", paramLabel = "REV", description = "Branch, tag, commit id, HEAD~N or ORIG_HEAD.")
    String rev;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PATH", description = "Files or folders to unstage (after REV, or after --).")
    List<String> paths = List.of();

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            List<String> given = new ArrayList<>(paths);
            String from = rev;
            boolean movesOnly = mode != null && (mode.soft || mode.hard); // takes no paths
            // as git's: without --, a first argument that is no revision is a path, and then every one is; it must be
            // there (else it is neither: the unknown revision); one that is both a revision and a file is refused
            boolean dashes = spec.commandLine().getParseResult().expandedArgs().contains("--");
            if (rev != null && isAfterDoubleDash(rev)) {
                given.add(0, rev); // reset -- PATH...
                from = null;
            } else if (rev != null && !dashes) {
                boolean there = Files.exists(userPaths(List.of(rev)).get(0));
                if (rev.equals("HEAD") || isRevision(repo, rev)) {
                    if (there) {
                        throw usage("'" + rev + "' is both a revision and a path in the working tree: give revisions before --, "
                                + "paths after it");
                    }
                } else if (there) {
                    given.add(0, rev); // reset PATH...
                    from = null;
                }
            }
            if (from != null) {
                warnIfAmbiguous(repo, from);
            }
            if (!given.isEmpty()) {
                if (movesOnly) {
                    throw usage("cannot do a " + (mode.soft ? "--soft" : "--hard") + " reset with paths");
                }
                // as git's: only the first argument is checked (above); a path matching nothing tracked is nothing to do
                repo.resetPaths(userPaths(given), from, true);
                printUnstaged(repo);
                return 0;
            }
            Repository.ResetMode m = mode == null || mode.mixed ? Repository.ResetMode.MIXED
                    : mode.soft ? Repository.ResetMode.SOFT : Repository.ResetMode.HARD;
            Repository.CheckoutResult r;
            try (TerminalProgress progress = progress()) {
                r = repo.reset(from == null ? "HEAD" : from, m, progress);
            }
            if (m == Repository.ResetMode.HARD) {
                Commit c = repo.readCommit(r.commit());
                out().println("HEAD is now at " + Text.shortId(r.commit()) + " " + Text.shown(c.subject()));
                if (!r.written().isEmpty() || !r.deleted().isEmpty()) {
                    out().println("(" + r.written().size() + " written, " + r.deleted().size() + " deleted)");
                }
            } else if (m == Repository.ResetMode.MIXED) {
                printUnstaged(repo);
            }
        }
        return 0;
    }

    /** As git says after a mixed reset: the tracked files whose working version is not what is staged. */
    private void printUnstaged(Repository repo) throws IOException {
        if (quiet()) {
            return;
        }
        Status s = repo.status();
        if (s.notStaged().isEmpty()) {
            return;
        }
        PrintStream out = out();
        out.println("Unstaged changes after reset:");
        for (Status.Change c : s.notStaged()) {
            out.println((c.kind() == Status.Kind.DELETED ? "D" : "M") + "\t" + Text.shown(c.path()));
        }
    }
}
