package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.repo.Tree;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral export REV:PATH -o OUT [--format safetensors|npy|npz]}. */
@Command(name = "export", description = {
    "Write a committed file to OUT as safetensors, npy or npz.",
    "Converts between formats as needed (by OUT's extension or --format).",
    "PATH may be left out when REV has exactly one file."})
final class ExportCommand extends Subcommand {
    @Parameters(index = "0", paramLabel = "REV:PATH", description = "Revision and file, e.g. v1:model.safetensors.")
    String target;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "File to write.")
    String output;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "safetensors, npy or npz. Default: from OUT's extension.")
    String format;

    @Override
    int execute() throws Exception {
        RevPath rp = RevPath.parse(target);
        Path out = userPath(output);
        try (Repository repo = openRepository()) {
            String path = rp.path();
            if (path == null) {
                Tree tree = repo.readTree(repo.resolve(rp.rev()));
                if (tree.files().size() != 1) {
                    throw new BadInputException(rp.rev() + " has " + tree.files().size()
                            + " files; name one as " + rp.rev() + ":PATH");
                }
                path = tree.files().firstKey();
            }
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            repo.export(rp.rev(), path, out, format);
            out().println("exported " + rp.rev() + ":" + path + " to " + output + " (" + Text.bytes(Files.size(out)) + ")");
        }
        return 0;
    }
}
