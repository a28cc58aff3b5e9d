package dev.coral.cli;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.repo.Commit;
import dev.coral.store.ObjectId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coral commit [-a] -m MSG [--metric NAME=NUMBER]... [PATH...]}. */
@Command(name = "commit", description = {"Record the staged files as a new commit on the current branch.",
    "With PATHs, commit those files as they are in the work tree, and only them (as git commit PATH does):",
    "other staged changes stay staged. One step, safe with other writers committing at once.",
    "With -a, first stage every tracked file that was modified or deleted, then commit everything staged "
        + "(one process instead of add + commit)."})
final class CommitCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG",
            description = "Commit message; several -m are joined as paragraphs.")
    List<String> messages;

    @Option(names = "--metric", paramLabel = "NAME=NUMBER",
            description = "A numeric metric to record, e.g. --metric loss=0.31 (repeatable): a finite decimal, or nan, inf, -inf (JSON output writes these three as strings).")
    List<String> metrics = List.of();

    @Option(names = "--lossy", paramLabel = "EPS", description = {
        "Opt-in lossy storage: float tensors that changed since HEAD are stored quantized against "
            + "their previous version, each element within EPS of what was added (e.g. --lossy=1e-4).",
        "With PATHs or -a, those files are quantized as they are read (no lossless copy is stored);",
        "files staged before by add were stored losslessly then, and that copy stays until gc.",
        "The commit records EPS; log and show mark it (a commit that quantized nothing, e.g. the first, stays bit-exact "
            + "and unmarked). Default: lossless, bit-exact."})
    String lossy;

    @Option(names = "--no-rebase", description = {
        "With PATHs or -a: fail (as git would) if the branch moved while the files were being stored, "
            + "instead of committing on top of the new tip."})
    boolean noRebase;

    @Option(names = {"-a", "--all"}, description = "Stage modified and deleted tracked files before committing.")
    boolean all;

    @picocli.CommandLine.Parameters(arity = "0..*", paramLabel = "PATH",
            description = "Files or folders to commit, alone, as they are in the work tree (new files too; a tracked file that is gone, "
                    + "or whose removal rm staged, is removed; so is each file of a deleted folder).")
    List<String> paths = List.of();

    @Option(names = "--author", paramLabel = "NAME", description = "Author (default: $CORAL_AUTHOR or the user name).")
    String author;

    @Override
    int execute() throws Exception {
        CommitRequest request;
        try {
            String by = authorOf(author);
            request = new CommitRequest(String.join("\n\n", messages), CommitRequest.parseMetrics(metrics), by);
            if (lossy != null) {
                request = request.withLossy(lossy);
            }
        } catch (BadInputException e) {
            throw usage(e.getMessage());
        }
        try (Repository repo = openRepository()) {
            if (all && !paths.isEmpty()) {
                throw usage("paths with -a does not make sense (-a commits every modified tracked file; PATHs commit only those)");
            }
            ObjectId id;
            if (all) {
                List<java.nio.file.Path> modified = new java.util.ArrayList<>();
                repo.status().notStaged().forEach(c -> modified.add(repo.root().resolve(c.path())));
                warnOfUnreadablePaths(repo);
                id = modified.isEmpty() ? repo.commit(request) : repo.addAndCommit(request, modified, !noRebase);
            } else {
                id = paths.isEmpty() ? repo.commit(request) : repo.commit(request, userPaths(paths), !noRebase);
            }
            warnOfPackUpkeep(repo);
            Commit c = repo.readCommit(id);
            String branch = repo.currentBranch();
            String where = branch == null ? "detached HEAD" : branch;
            if (c.parents().isEmpty()) {
                where += " (root-commit)";
            }
            out().println("[" + where + " " + Text.shortId(id) + "] " + Text.shown(c.subject()));
            if (c.isLossy()) {
                out().println("lossy: tensors stored within " + c.lossyEps() + " of what was added; a checkout of this commit "
                        + "gives the quantized values, not the exact bytes");
            } else if (lossy != null) {
                out().println("note: --lossy=" + lossy + " quantized nothing (only float tensors that changed since HEAD are "
                        + "quantized, against their version there, of the same dtype and size): this commit is bit-exact");
            }
        }
        return 0;
    }
}
