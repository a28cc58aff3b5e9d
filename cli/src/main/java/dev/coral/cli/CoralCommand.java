package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.NotARepositoryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        description = "Coral: git for model weights. Tracks safetensors, npy, npz, HDF5 and .keras files by tensor, "
                + "storing each chunk once and later versions as deltas against earlier ones.",
        synopsisSubcommandLabel = "COMMAND")
final class CoralCommand implements Callable<Integer> {
    /**
     * The subcommands, in the order help lists them. Registered with picocli only when needed:
     * building picocli's model of all of them by reflection took ~65 ms of every command.
     */
    static final List<String> SUBCOMMANDS = List.of("init", "add", "rm", "mv", "restore", "reset", "status", "commit", "log", "show", "diff", "checkout",
            "switch", "branch", "tag", "merge", "export", "stats", "demo", "fsck", "gc", "repack", "config", "batch", "daemon", "completion");

    /** picocli's system property naming built-in type converters not to register (regexes, comma-separated). */
    static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    /**
     * The converters no option of ours needs (options are strings, numbers, booleans and one
     * Path): picocli finds the java.sql and java.time ones by reflection for every command line
     * it builds, loading their classes. {@code coral status} as the launcher runs it, ten runs
     * each in turn: median 0.30 -> 0.285 s. An option of such a type would need its converter
     * registered by hand.
     */
    static final String UNUSED_CONVERTERS = "java\\.sql\\..*,java\\.time\\..*";

    /** A new instance of subcommand {@code name} (a switch, not lambdas: each lambda is a class spun at start-up). */
    private static Object newSubcommand(String name) {
        return switch (name) {
            case "init" -> new InitCommand();
            case "add" -> new AddCommand();
            case "rm" -> new RmCommand();
            case "mv" -> new MvCommand();
            case "restore" -> new RestoreCommand();
            case "reset" -> new ResetCommand();
            case "status" -> new StatusCommand();
            case "commit" -> new CommitCommand();
            case "log" -> new LogCommand();
            case "show" -> new ShowCommand();
            case "diff" -> new DiffCommand();
            case "checkout" -> new CheckoutCommand();
            case "switch" -> new SwitchCommand();
            case "branch" -> new BranchCommand();
            case "tag" -> new TagCommand();
            case "merge" -> new MergeCommand();
            case "export" -> new ExportCommand();
            case "stats" -> new StatsCommand();
            case "demo" -> new DemoCommand();
            case "fsck" -> new FsckCommand();
            case "gc" -> new GcCommand();
            case "repack" -> new RepackCommand();
            case "config" -> new ConfigCommand();
            case "batch" -> new BatchCommand();
            case "daemon" -> new DaemonCommand();
            case "completion" -> new CompletionCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
    }

    /**
     * The command line for {@code args}: with only the subcommand they name when it is a known
     * one preceded by nothing but {@code -C DIR}; with every subcommand otherwise (help, version,
     * a missing or mistyped command, whose message lists or suggests them).
     */
    static CommandLine commandLine(Session session, String... args) {
        if (System.getProperty(CONVERTER_EXCLUDES) == null) {
            System.setProperty(CONVERTER_EXCLUDES, UNUSED_CONVERTERS);
        }
        CommandLine cmd = new CommandLine(new CoralCommand(session));
        cmd.setExpandAtFiles(false); // '@x.npy' names a file, as in git, not a file of arguments to read
        String name = requestedSubcommand(args);
        if (name != null && SUBCOMMANDS.contains(name)) {
            cmd.addSubcommand(name, newSubcommand(name));
        } else {
            for (String n : SUBCOMMANDS) {
                cmd.addSubcommand(n, newSubcommand(n));
            }
        }
        if (session.folder() != null) { // in the daemon: picocli would ask the daemon's console and environment
            cmd.setColorScheme(CommandLine.Help.defaultColorScheme(ansiFor(session)));
        }
        return cmd;
    }

    /**
     * Whether help and usage errors are coloured, as picocli decides for a JVM of the command's own
     * (its {@code Ansi.AUTO}) from the session's terminal flag and environment: never with
     * {@code NO_COLOR}, always with {@code CLICOLOR_FORCE} other than 0, never with {@code CLICOLOR=0},
     * else on a terminal (found by fuzzing the daemon: its help was plain text on a terminal).
     */
    static CommandLine.Help.Ansi ansiFor(Session session) {
        if (session.env("NO_COLOR") != null) {
            return CommandLine.Help.Ansi.OFF;
        }
        String force = session.env("CLICOLOR_FORCE");
        if (force != null && !force.equals("0")) {
            return CommandLine.Help.Ansi.ON;
        }
        if ("0".equals(session.env("CLICOLOR"))) {
            return CommandLine.Help.Ansi.OFF;
        }
        return session.terminal() ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF;
    }

    /** The first argument past {@code -C DIR}, or null if an option other than -C comes first. */
    static String requestedSubcommand(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-C")) {
                i++;
            } else if (a.startsWith("-C")) {
                continue; // -CDIR, -C=DIR
            } else if (a.startsWith("-")) {
                return null;
            } else {
                return a;
            }
        }
        return null;
    }

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

    /** The folder relative paths are taken against: {@code -C DIR}, else the session's (the process's). */
    Path workDir() {
        Path base = session.folder() != null ? session.folder() : Path.of(System.getProperty("user.dir"));
        return (directory == null ? base : base.resolve(directory)).toAbsolutePath().normalize();
    }

    /**
     * What is wrong with {@code -C DIR} when it is not a folder, else null: refused as git refuses
     * it ("cannot change to"), where it was taken as the folder holding the file, or as a folder to create.
     */
    String directoryProblem() {
        if (directory == null || Files.isDirectory(workDir())) {
            return null;
        }
        return "-C " + directory + ": " + (Files.exists(workDir()) ? "not a folder" : "no such folder");
    }

    /** {@code path} as the user meant it: absolute, relative ones against {@link #workDir()}. */
    Path userPath(String path) {
        return workDir().resolve(path).toAbsolutePath().normalize();
    }

    /** The repository containing the working folder. */
    Repository openRepository() throws IOException {
        try {
            return session.handles() != null ? session.handles().open(workDir()) : Repository.discover(workDir());
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
