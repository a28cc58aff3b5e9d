package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral switch [-c] NAME [START]}. */
@Command(name = "switch", description = {"Switch to branch NAME, restoring its files.",
    "With -c, create NAME first: at HEAD, or at START (a branch, tag, commit id or HEAD~N), as git switch -c NAME START.",
    "Local changes the switch would overwrite are refused (unless --force); a file another process writes while it runs is left as written, with a warning."})
final class SwitchCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = {"-c", "--create"}, description = "Create NAME first, at HEAD or at START.")
    boolean create;

    @Option(names = {"-f", "--force"}, description = "Overwrite local changes and untracked files (on the current branch too: its files are restored).")
    boolean force;

    @Parameters(index = "0", paramLabel = "NAME", description = "Branch name.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "START", description = "With -c: where the new branch starts (default: HEAD).")
    String start;

    @Override
    int execute() throws Exception {
        if (start != null && !create) {
            throw usage("a START (" + start + ") is for a new branch: give -c");
        }
        try (Repository repo = openRepository()) {
            if (start != null) {
                warnIfAmbiguous(repo, start);
                ObjectId detached = detachedHead(repo);
                Repository.CheckoutResult r = repo.switchToNewBranch(name, start, force);
                out().println("Switched to a new branch '" + name + "'");
                warnOfFilesLeft(r);
                warnIfLeftBehind(repo, detached);
                return 0;
            }
            if (!create && name.equals(repo.currentBranch())) {
                // as git switch -f: the branch's files again, local changes discarded; a branch with no commit yet has none
                if (force && repo.headCommit() != null) {
                    repo.checkout(name, true);
                }
                out().println("Already on '" + name + "'");
                return 0;
            }
            ObjectId detached = detachedHead(repo);
            Repository.CheckoutResult r = repo.switchBranch(name, create, force);
            out().println(create ? "Switched to a new branch '" + name + "'" : "Switched to branch '" + name + "'");
            warnOfFilesLeft(r);
            warnIfLeftBehind(repo, detached);
        }
        return 0;
    }
}
