package dev.coral.cli;

import dev.coral.api.Repository;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral mv [-f] [-v] SOURCE... DESTINATION}, as git's mv. */
@Command(name = "mv", description = {
    "Move or rename tracked files or folders, in the working folder and in what is staged at once (as git mv).",
    "coral mv SOURCE DESTINATION renames; coral mv SOURCE... FOLDER moves them into an existing folder. A staged "
        + "file keeps its staged version under the new name, read no second time; a local change stays a local change. "
        + "Refused, before anything moves: an untracked or missing source, a destination that exists (-f: a file may "
        + "replace a file), a folder into itself, a destination folder that does not exist, a name of another format "
        + "than the file's (a .npz name for a safetensors file). The next commit records the move."})
final class MvCommand extends Subcommand {
    @Option(names = {"-f", "--force"}, description = "Let a moved file replace a file at the destination.")
    boolean force;

    @Option(names = {"-v", "--verbose"}, description = "Name each tracked file moved.")
    boolean verbose;

    @Parameters(arity = "2..*", paramLabel = "PATH", description = "Sources, then the destination.")
    List<String> paths;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            List<Repository.Moved> moved = repo.move(userPaths(paths.subList(0, paths.size() - 1)), userPath(paths.get(paths.size() - 1)), force);
            if (verbose) {
                for (Repository.Moved m : moved) {
                    coral.session().out().println("Renaming " + Text.shown(m.from()) + " to " + Text.shown(m.to()));
                }
            }
        }
        return 0;
    }
}
