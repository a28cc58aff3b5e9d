package dev.coral.cli;

import dev.coral.api.CommitRequest;
import dev.coral.api.MergeResult;
import dev.coral.api.MergeStrategy;
import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral merge REV [--strategy ours|theirs|average|weighted=W] [-m MSG] [--no-ff]}, as git's merge. */
@Command(name = "merge", description = {
    "Join another branch (or any revision) into the current branch, as git merge.",
    "When the current commit is an ancestor of REV the branch moves to REV (a fast-forward; --no-ff makes a merge commit "
        + "instead); when REV is already in this history there is nothing to do. Otherwise each file is compared with the merge "
        + "base (the nearest common ancestor): a file changed on one side only is taken from that side, and the result is a "
        + "commit with two parents (HEAD^1 ours, HEAD^2 REV's).",
    "A file changed on both sides is settled by --strategy: without one the merge is refused, naming the files. ours keeps "
        + "this branch's version, theirs takes REV's; average and weighted=W merge the weights tensor by tensor against the "
        + "base: a tensor changed on one side is taken from it, a float tensor (F16, BF16, F32, F64) changed on both becomes "
        + "(1 - W) * ours + W * theirs element by element (average: W = 0.5), computed in double and rounded to nearest; "
        + "a file whose tensors differ in names, dtypes or shapes, an integer tensor changed on both sides, or a file deleted "
        + "on one side and changed on the other cannot be averaged and is refused.",
    "The working folder must have no staged or unstaged change (untracked files aside). Everything is checked before "
        + "anything changes; a refused merge changes nothing. A file another process writes while the merge runs (after that "
        + "check) is left as it wrote it, named in a warning; one that fails part way puts the files it wrote back as HEAD has "
        + "them."})
final class MergeCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Parameters(index = "0", paramLabel = "REV", description = "Branch, tag, commit id or HEAD~N to merge into the current branch.")
    String rev;

    @Option(names = "--strategy", paramLabel = "STRATEGY",
            description = "For files changed on both sides: ours, theirs, average or weighted=W (W from 0, ours, to 1, theirs).")
    String strategy;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "The merge commit's message (default: Merge REV).")
    String message;

    @Option(names = "--no-ff", description = "Make a merge commit even when the branch could fast-forward.")
    boolean noFastForward;

    @Option(names = "--author", paramLabel = "NAME", description = "Author of the merge commit (default: $CORAL_AUTHOR or the user name).")
    String author;

    @Override
    int execute() throws Exception {
        MergeStrategy how;
        try {
            how = strategy == null ? MergeStrategy.NONE : MergeStrategy.parse(strategy);
            if (message != null && message.isBlank()) {
                throw new BadInputException("-m: empty merge message");
            }
        } catch (BadInputException e) {
            throw usage(e.getMessage());
        }
        String by = authorOf(author);
        try (Repository repo = openRepository()) {
            MergeResult r = repo.merge(rev, how, message, noFastForward, new CommitRequest("merge", new java.util.TreeMap<>(), by));
            warnOfFilesLeft(r.leftAsFound());
            if (quiet.quiet) {
                return 0;
            }
            switch (r.outcome()) {
                case UP_TO_DATE -> out().println("Already up to date.");
                case FAST_FORWARD -> {
                    out().println("Fast-forward to " + Text.shortId(r.commit()));
                    list("taken", r.taken());
                    list("removed", r.removed());
                }
                case MERGED -> {
                    String branch = repo.currentBranch();
                    out().println("[" + (branch == null ? "detached HEAD" : branch) + " " + Text.shortId(r.commit()) + "] "
                            + Text.shown(repo.readCommit(r.commit()).subject()));
                    list("taken from " + rev, r.taken());
                    list("averaged", r.averaged());
                    list("removed", r.removed());
                }
            }
            return 0;
        }
    }

    private void list(String what, List<String> paths) {
        for (String p : paths) {
            out().println("  " + what + ": " + Text.shown(p));
        }
    }
}
