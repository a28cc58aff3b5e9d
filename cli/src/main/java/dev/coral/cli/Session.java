package dev.coral.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the command line reads and writes: standard input, standard output, standard
 * error, whether error output is a terminal (progress is shown only then), whether
 * {@code CORAL_DEBUG} asks for stack traces, inside {@code coral batch} the repository handles it
 * or {@code coral daemon} keeps between commands (null otherwise), the folder relative paths are
 * taken against (null: the process's; the daemon runs each command in its caller's folder),
 * whether the command runs inside {@code coral batch}, whose standard output carries the replies,
 * not the command's, and the environment variables it reads ({@code CORAL_AUTHOR}: the process's,
 * or in the daemon its caller's, see {@link CallerEnvironment}).
 */
record Session(InputStream in, PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles, Path folder,
        boolean batched, Map<String, String> env) {
    Session(PrintStream out, PrintStream err, boolean terminal, boolean debug) {
        this(System.in, out, err, terminal, debug, null);
    }

    /** A session of {@code coral batch} when {@code handles} is not null (its handles), else of a command of its own. */
    Session(InputStream in, PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles) {
        this(in, out, err, terminal, debug, handles, null, handles != null, System.getenv());
    }

    /** A command {@code coral daemon} runs for a caller in {@code folder} with its environment {@code env}, on the daemon's kept {@code handles}. */
    static Session inDaemon(PrintStream out, PrintStream err, boolean terminal, boolean debug, SharedHandles handles, Path folder,
                            Map<String, String> env) {
        return new Session(InputStream.nullInputStream(), out, err, terminal, debug, handles, folder, false, env);
    }

    /** The variable {@code name} of this command's environment, or null. */
    String env(String name) {
        return env.get(name);
    }
}
