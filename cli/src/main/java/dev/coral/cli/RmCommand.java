package dev.coral.cli;

import dev.coral.api.Repository;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral rm [--cached] PATH...}. */
@Command(name = "rm", description = {
    "Stop tracking files and delete them from the working folder.",
    "A folder means everything tracked under it."})
final class RmCommand extends Subcommand {
    @Option(names = "--cached", description = "Only unstage; keep the working files.")
    boolean cached;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Tracked files or folders.")
    List<String> paths;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            for (String p : repo.remove(userPaths(paths), cached)) {
                out().println("rm '" + p + "'");
            }
        }
        return 0;
    }
}
