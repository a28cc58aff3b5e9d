package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.NotARepositoryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The root command: {@code coral [-C DIR] COMMAND}. Holds what every subcommand shares. */
@Command(name = "coral",
        mixinStandardHelpOptions = true,
        versionProvider = CoralCommand.Version.class,
        description = "Coral: git for model weights. Tracks safetensors, npy and npz files by tensor, "
                + "storing each chunk once and later versions as deltas against earlier ones.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
            InitCommand.class,
            AddCommand.class,
            RmCommand.class,
            StatusCommand.class,
            CommitCommand.class,
            LogCommand.class,
            ShowCommand.class,
            CheckoutCommand.class,
            SwitchCommand.class,
            BranchCommand.class,
            TagCommand.class,
            ExportCommand.class,
            StatsCommand.class,
            DemoCommand.class,
            FsckCommand.class,
            GcCommand.class,
            RepackCommand.class,
        })
final class CoralCommand implements Callable<Integer> {
    private final Session session;

    @Spec
    CommandSpec spec;

    @Option(names = "-C", paramLabel = "DIR", description = "Run as if coral was started in DIR.")
    Path directory;

    CoralCommand(Session session) {
        this.session = session;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    Session session() {
        return session;
    }

    /** The folder relative paths are taken against: {@code -C DIR}, else the process's. */
    Path workDir() {
        Path base = Path.of(System.getProperty("user.dir"));
        return (directory == null ? base : base.resolve(directory)).toAbsolutePath().normalize();
    }

    /** {@code path} as the user meant it: absolute, relative ones against {@link #workDir()}. */
    Path userPath(String path) {
        return workDir().resolve(path).toAbsolutePath().normalize();
    }

    /** The repository containing the working folder. */
    Repository openRepository() throws IOException {
        try {
            return Repository.discover(workDir());
        } catch (NotARepositoryException e) {
            // git's wording, which users search for
            throw new NotARepositoryException(workDir() + ": not a Coral repository (nor any parent folder); run 'coral init'");
        }
    }

    /** Progress on standard error when it is a terminal; nothing otherwise. */
    TerminalProgress progress() {
        return new TerminalProgress(session.err(), session.terminal());
    }

    /** {@code coral --version}: the version Maven filtered into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            return new String[] {"coral " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }

        static String version() throws IOException {
            Properties p = new Properties();
            try (var in = CoralCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return p.getProperty("version", "unknown");
        }
    }
}
