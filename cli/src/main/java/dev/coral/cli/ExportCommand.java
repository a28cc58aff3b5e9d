package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.repo.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral export REV:PATH -o OUT|- [--format safetensors|npy|npz|hdf5]}. */
@Command(name = "export", description = {
    "Write a committed file to OUT as safetensors, npy, npz or HDF5 (.h5); a .keras file only as committed (it needs the model's configuration).",
    "Converts between formats as needed (by OUT's extension or --format).",
    "With -o - the file goes to standard output as committed (byte-identical for safetensors, npy, HDF5 and npz of stored members), or converted with --format.",
    "Every chunk is checked against its SHA-256 before it is written; standard output must not be a terminal.",
    "PATH may be left out when REV has exactly one file."})
final class ExportCommand extends Subcommand {
    @Parameters(index = "0", paramLabel = "REV:PATH", description = "Revision and file, e.g. v1:model.safetensors.")
    String target;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "File to write (through a symbolic link, the file it names; a pipe or a device is refused), or - for standard output.")
    String output;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "safetensors, npy, npz or hdf5. Default: from OUT's extension; with -o -, the file's own format, as committed.")
    String format;

    @Override
    int execute() throws Exception {
        RevPath rp = RevPath.parse(target);
        boolean toStdout = output.equals("-");
        if (toStdout && coral.session().batched()) {
            throw usage("-o -: refused inside coral batch, whose standard output carries the replies; give -o FILE");
        }
        if (toStdout && coral.session().terminal()) {
            throw usage("-o -: standard output is a terminal; redirect it to a file or a pipe, or give -o FILE");
        }
        try (Repository repo = openRepository()) {
            warnIfAmbiguous(repo, rp.rev());
            String path = rp.path();
            if (path == null) {
                Tree tree = repo.readTree(repo.resolve(rp.rev()));
                if (tree.files().size() != 1) {
                    throw new BadInputException(rp.rev() + " has " + tree.files().size()
                            + " files; name one as " + rp.rev() + ":PATH");
                }
                path = tree.files().firstKey();
            }
            if (toStdout) {
                repo.export(rp.rev(), path, new CheckedStdout(out()), format);
                return 0;
            }
            Path out = userPath(output);
            repo.export(rp.rev(), path, out, format);
            out().println("exported " + rp.rev() + ":" + path + " to " + output + " (" + Text.bytes(Files.size(out)) + ")");
        }
        return 0;
    }

    /**
     * Standard output for binary data: a PrintStream keeps its write errors to itself, so each
     * write asks it; a reader that went away (a closed pipe) stops the export with an error.
     */
    private static final class CheckedStdout extends OutputStream {
        private final PrintStream out;

        CheckedStdout(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            check();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            check();
        }

        @Override
        public void flush() throws IOException {
            out.flush();
            check();
        }

        private void check() throws IOException {
            if (out.checkError()) {
                throw new IOException("standard output: write failed (the reader closed the pipe?)");
            }
        }
    }
}
