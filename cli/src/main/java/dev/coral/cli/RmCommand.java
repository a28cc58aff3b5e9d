package dev.coral.cli;

import dev.coral.api.Repository;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral rm [--cached] [-f] PATH...}. */
@Command(name = "rm", description = {
    "Stop tracking files and delete them from the working folder.",
    "A folder means everything tracked under it.",
    "As git's rm, it refuses what would lose work: a file with local modifications, or one whose staged version is in no commit (with --cached: a staged version that is neither HEAD's nor the file's); -f does it all the same. A file another process writes after that check is left as it wrote it (untracked), with a warning; -f deletes it all the same."})
final class RmCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = "--cached", description = "Stop tracking, but keep the working files (to unstage a change instead: coral restore --staged).")
    boolean cached;

    @Option(names = {"-f", "--force"}, description = "Remove even what would lose work (see above).")
    boolean force;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Tracked files or folders.")
    List<String> paths;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            Repository.RemoveResult r = repo.removeFiles(userPaths(paths), cached, force);
            for (String p : r.removed()) {
                out().println("rm '" + Text.shown(p) + "'");
            }
            warnOfFilesLeft(r.leftAsFound());
        }
        return 0;
    }
}
