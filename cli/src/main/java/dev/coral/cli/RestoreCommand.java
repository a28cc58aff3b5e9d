package dev.coral.cli;

import dev.coral.api.Repository;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral restore [-S] [-W] [-s REV] PATH...}, as git's restore. */
@Command(name = "restore", description = {
    "Restore working files, or what is staged, of PATHs (as git restore); HEAD stays.",
    "Without -S: the working files as staged, discarding their changes not staged.",
    "With -S (--staged): unstage: what is staged becomes HEAD's version (or REV's), the working files stay; "
        + "a file added since stops being staged. With -S -W, the working files are restored too.",
    "As git's, a tracked path the source lacks is deleted from the working folder when working files are restored."})
final class RestoreCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = {"-S", "--staged"}, description = "Restore what is staged (default source: HEAD).")
    boolean staged;

    @Option(names = {"-W", "--worktree"}, description = "Restore the working files (the default without -S).")
    boolean workTree;

    @Option(names = {"-s", "--source"}, paramLabel = "REV",
            description = "Take the versions from REV (a branch, tag, commit id or HEAD~N) instead.")
    String source;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Tracked files or folders.")
    List<String> paths;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            warnIfAmbiguous(repo, source, "restore takes the branch");
            String from = source == null ? null : branchFirst(repo, source);
            if (staged && !workTree) {
                repo.restoreStaged(userPaths(paths), from);
            } else {
                repo.restoreWorkTree(userPaths(paths), from, staged);
            }
        }
        return 0;
    }
}
