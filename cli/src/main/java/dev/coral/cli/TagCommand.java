package dev.coral.cli;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral tag}, {@code coral tag [-f] NAME [REV] [-m MSG]}, {@code coral tag -d NAME}. */
@Command(name = "tag", description = {
    "List, create or delete tags.",
    "Without NAME: list tags. With NAME: tag REV (default: HEAD); -m makes an annotated tag; -f replaces a tag "
        + "of that name.",
    "With -d NAME: delete it."})
final class TagCommand extends Subcommand {
    @Option(names = {"-d", "--delete"}, description = "Delete tag NAME.")
    boolean delete;

    @Option(names = {"-f", "--force"}, description = "Replace a tag named NAME (as git's tag -f).")
    boolean force;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Make an annotated tag with this message.")
    String message;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Tag name.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REV", description = "What to tag. Default: HEAD.")
    String rev;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            if (delete) {
                if (name == null || rev != null || message != null || force) {
                    throw usage("-d takes exactly one tag NAME");
                }
                repo.deleteTag(name);
                out().println("Deleted tag '" + name + "'");
                return 0;
            }
            if (name == null) {
                if (message != null || force) {
                    throw usage((force ? "-f" : "-m") + " needs a tag NAME");
                }
                repo.tags().forEach(out()::println);
                return 0;
            }
            warnIfAmbiguous(repo, rev);
            ObjectId was = force ? repo.resolveTag(name) : null;
            repo.createTag(name, rev == null ? "HEAD" : rev, message, force, CommitRequest.defaultAuthor(coral.session().env()));
            if (was != null) {
                out().println("Updated tag '" + name + "' (was " + Text.shortId(was) + ")");
            }
        }
        return 0;
    }
}
