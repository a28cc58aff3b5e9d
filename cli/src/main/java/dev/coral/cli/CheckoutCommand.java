package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.repo.Commit;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral checkout [-f] REV [-- PATH...]} and {@code coral checkout -b NAME}. */
@Command(name = "checkout", description = {
    "Restore the tracked files of REV, or only PATHs, or create a branch with -b.",
    "Without PATHs HEAD moves to REV: onto the branch for a branch name, detached otherwise. With "
        + "PATHs only those files are restored; HEAD stays.",
    "With -b NAME: create branch NAME at HEAD and switch to it.",
    "Without PATHs and --force, local changes it would overwrite are refused, and a file another process writes while it runs is left as written, with a warning.",
    "checkout PATH..., where the first is not a revision, and checkout -- PATH... (paths whatever they name) restore "
        + "the files from the index, as coral restore PATH... does.",
    "Every file is checked against the checksums recorded when it was added. On Linux files are written into the "
        + "page cache without fsync, as git writes them; after a crash of the machine, status compares them by "
        + "content and checkout --force restores any that lost their bytes (coral config checkout.fsync true fsyncs "
        + "each file instead). A checkout that was killed can leave .tmp-NAME-UUID files beside the files it wrote; "
        + "the next checkout of those files removes them once they are a minute old. Coral never writes or deletes "
        + "through a symbolic link to a folder in the working folder: such a checkout is refused naming the link.",
    "The file being replaced is read from: chunks it holds unchanged are copied, and when it holds a nearby step "
        + "of the same run, only the deltas between the two versions are decoded, so stepping through a run, either "
        + "way, is fast."})
final class CheckoutCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = {"-f", "--force"}, description = "Overwrite local changes and untracked files.")
    boolean force;

    @Option(names = "-b", paramLabel = "NAME", description = "Create branch NAME at HEAD and switch to it.")
    String newBranch;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REV", description = "Branch, tag, commit id or HEAD~N.")
    String rev;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PATH", description = "Files or folders to restore (after --).")
    List<String> paths = List.of();

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            ObjectId detached = detachedHead(repo);
            if (newBranch != null) {
                Repository.CheckoutResult r;
                if (rev != null) {
                    warnIfAmbiguous(repo, rev);
                    r = repo.switchToNewBranch(newBranch, rev, force);
                } else {
                    r = repo.switchBranch(newBranch, true, force);
                }
                out().println("Switched to a new branch '" + newBranch + "'");
                warnOfFilesLeft(r);
                warnIfLeftBehind(repo, detached);
                return 0;
            }
            if (rev == null) {
                throw usage("missing REV (a branch, tag or commit)");
            }
            boolean afterDoubleDash = isAfterDoubleDash(rev);
            if (afterDoubleDash || !isRevision(repo, rev)) {
                return fromTheIndex(repo, afterDoubleDash);
            }
            if (!paths.isEmpty()) {
                warnIfAmbiguous(repo, rev, "checkout takes the branch");
                Repository.CheckoutResult r = repo.checkoutPaths(branchFirst(repo, rev), userPaths(paths));
                out().println("Updated " + r.written().size() + (r.written().size() == 1 ? " path" : " paths")
                        + " from " + Text.shortId(r.commit()));
                return 0;
            }
            warnIfAmbiguous(repo, rev, "checkout takes the branch");
            Repository.CheckoutResult r;
            try (TerminalProgress progress = progress()) {
                r = repo.checkout(rev, force, progress);
            }
            String branch = repo.currentBranch();
            if (branch != null && branch.equals(rev)) {
                out().println("Switched to branch '" + branch + "'");
            } else {
                Commit c = repo.readCommit(r.commit());
                out().println("HEAD is now at " + Text.shortId(r.commit()) + " " + Text.shown(c.subject()));
            }
            if (!r.written().isEmpty() || !r.deleted().isEmpty()) {
                out().println("(" + r.written().size() + " written, " + r.deleted().size() + " deleted)");
            }
            warnOfFilesLeft(r);
            warnIfLeftBehind(repo, detached);
        }
        return 0;
    }

    /**
     * {@code checkout PATH...} or {@code checkout -- PATH...}, where the first is no revision: as
     * git's, the files restored from the index ({@code coral restore PATH...}); the unknown
     * revision is the error when it names no tracked file either (found by fuzzing: refused as
     * an unknown revision). After {@code --} the first is a path whatever else it names (a branch
     * of that name was checked out), and one tracked nowhere is said as such.
     */
    private int fromTheIndex(Repository repo, boolean onlyPaths) throws IOException {
        List<String> all = new java.util.ArrayList<>();
        all.add(rev);
        all.addAll(paths);
        Repository.CheckoutResult r;
        try {
            r = repo.restoreWorkTree(userPaths(all), null, false);
        } catch (BadInputException notTracked) {
            if (!onlyPaths) {
                repo.resolve(rev); // the unknown revision, said as such
            }
            throw notTracked;
        }
        out().println("Updated " + r.written().size() + (r.written().size() == 1 ? " path" : " paths") + " from the index");
        return 0;
    }
}
