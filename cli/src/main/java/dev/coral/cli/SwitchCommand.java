package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral switch [-c] NAME}. */
@Command(name = "switch", description = "Switch to branch NAME, restoring its files.")
final class SwitchCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = {"-c", "--create"}, description = "Create NAME at HEAD first.")
    boolean create;

    @Option(names = {"-f", "--force"}, description = "Overwrite local changes and untracked files (on the current branch too: its files are restored).")
    boolean force;

    @Parameters(index = "0", paramLabel = "NAME", description = "Branch name.")
    String name;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            if (!create && name.equals(repo.currentBranch())) {
                // as git switch -f: the branch's files again, local changes discarded; a branch with no commit yet has none
                if (force && repo.headCommit() != null) {
                    repo.checkout(name, true);
                }
                out().println("Already on '" + name + "'");
                return 0;
            }
            ObjectId detached = detachedHead(repo);
            repo.switchBranch(name, create, force);
            out().println(create ? "Switched to a new branch '" + name + "'" : "Switched to branch '" + name + "'");
            warnIfLeftBehind(repo, detached);
        }
        return 0;
    }
}
