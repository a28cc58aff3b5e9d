package dev.coral.cli;

import dev.coral.io.RepositoryLock;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The {@code coral} command line. {@link #run} parses and executes one command and returns its
 * exit code, writing only to the streams it is given, so tests can capture everything.
 *
 * <p>Exit codes: 0 success, 1 the command failed (a {@link dev.coral.error.CoralException} or
 * other I/O failure), 2 usage error. See {@link Failures}, the one place that maps exceptions.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        StartupWork.start(args);
        UnmappedArchive.dropIfUnmapped();
        System.exit(run(utf8(FileDescriptor.out), utf8(FileDescriptor.err), args));
    }

    /**
     * Standard output or error in UTF-8 whatever the locale: JSON is UTF-8, and in the C or POSIX
     * locale System.out wrote every non-ASCII character as '?' (found by fuzzing: names in
     * {@code log --json} came out damaged and still parsed). Flushed at the end of each line, not
     * at each print as System.out is: a {@code printf} flushed once per piece it formats, and
     * {@code coral show} of a file of 50,000 tensors made 2 million write calls (9.4 s).
     */
    private static PrintStream utf8(FileDescriptor fd) {
        return new PrintStream(new LineFlushingOutput(new FileOutputStream(fd), 1 << 13), false, StandardCharsets.UTF_8);
    }

    /** Runs {@code coral args...}; relative paths are against {@code -C DIR} or {@code user.dir}. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(System.in, out, err, args);
    }

    /** As {@link #run(PrintStream, PrintStream, String...)}, reading standard input from {@code in} ({@code coral batch}). */
    public static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
        return run(new Session(in, out, err, System.console() != null, debugEnabled(), null), args);
    }

    /** Runs one command in {@code session}. */
    static int run(Session session, String... args) {
        PrintStream out = session.out();
        PrintStream err = session.err();
        RepositoryLock.noticeWaits(notice -> {
            err.println("coral: " + notice);
            err.flush();
        });
        try {
            CommandLine cmd = CoralCommand.commandLine(session, args);
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            cmd.setCaseInsensitiveEnumValuesAllowed(true);
            cmd.setParameterExceptionHandler((ex, a) -> Failures.report(ex, session));
            cmd.setExecutionExceptionHandler((ex, c, parsed) -> Failures.report(ex, session));
            return cmd.execute(args);
        } catch (RuntimeException | Error e) {
            return Failures.report(e, session);
        } finally {
            RepositoryLock.noticeWaits(null);
            out.flush();
            err.flush();
        }
    }

    private static boolean debugEnabled() {
        return debugEnabled(System.getenv("CORAL_DEBUG"));
    }

    /** Whether a {@code CORAL_DEBUG} of {@code value} (null: unset) asks for stack traces: set, and neither empty nor "0". */
    static boolean debugEnabled(String value) {
        return value != null && !value.isEmpty() && !value.equals("0");
    }
}
