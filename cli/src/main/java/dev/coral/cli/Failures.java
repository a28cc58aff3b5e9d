package dev.coral.cli;

import dev.coral.io.FailureWords;
import dev.coral.io.OpenFileLimit;
import dev.coral.io.Threads;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * The one place that turns a failure into an exit code and a single line on standard error:
 * {@code coral: <message>}. Usage errors exit {@value #USAGE} and point at the command's help;
 * repository and I/O failures exit {@value #FAILED} with the exception's message, which names the
 * file, tensor or revision at fault. A stack trace is printed only when {@code CORAL_DEBUG=1}.
 */
final class Failures {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Failures() {
    }

    static int report(Throwable t, Session session) {
        Throwable e = unwrap(t);
        int code;
        String message;
        if (e instanceof CommandLine.ParameterException pe) {
            code = USAGE;
            String command = pe.getCommandLine() == null ? "coral" : pe.getCommandLine().getCommandSpec().qualifiedName(" ");
            message = firstLine(pe.getMessage());
            if (pe instanceof CommandLine.UnmatchedArgumentException ua && pe.getCommandLine() != null
                    && pe.getCommandLine().getParent() == null && !ua.getUnmatched().isEmpty()
                    && !ua.getUnmatched().get(0).startsWith("-")) {
                String word = ua.getUnmatched().get(0);
                // a command's name unmatched here came after '--' (the end of coral's own options): 'coral -- status'
                message = pe.getCommandLine().getSubcommands().containsKey(word)
                        ? "'--' must come after the command, not before it: coral " + word + " ... -- ..."
                        : "'" + word + "' is not a coral command";
            }
            message += " (see " + command + " --help)";
        } else if (Threads.couldNotStart(e)) { // whatever wraps it: a commit's worker, a pipeline's thread factory
            code = FAILED;
            message = Threads.advice();
        } else if (e instanceof IOException io) {
            code = FAILED;
            message = FailureWords.describe(io);
            if (OpenFileLimit.reached(io) && !message.contains("ulimit")) {
                message += " (" + OpenFileLimit.advice() + ")";
            } else if (message.endsWith("File too large")) {
                // EFBIG: this process's limit on the size of a file it writes (ulimit -f), or the file system's (FAT32: 4 GB)
                message += " (the size this process may write a file to: ulimit -f, or the file system's limit)";
            }
        } else if (e instanceof java.nio.file.InvalidPathException ip) {
            // a path argument no file system can name (a NUL in it): the user's to correct, as any bad argument
            code = USAGE;
            message = invalidPath(ip);
        } else if (e instanceof UnsatisfiedLinkError le && String.valueOf(le.getMessage()).contains("zstd")) {
            code = FAILED;
            message = zstdNotLoaded(le);
        } else if (e instanceof OutOfMemoryError && String.valueOf(e.getMessage()).contains("heap space")) {
            code = FAILED;
            message = heapTooSmall(Runtime.getRuntime().maxMemory());
        } else if (OpenFileLimit.reached(e)) {
            // a JDK class that opens a file as it initialises (ulimit -n 9: ExceptionInInitializerError from FileChannel's)
            code = FAILED;
            message = "too many open files (" + OpenFileLimit.advice() + ")";
        } else {
            code = FAILED;
            message = "internal error: " + e + (session.debug() ? "" : " (run with CORAL_DEBUG=1 for details)");
        }
        session.out().flush();
        session.err().println("coral: " + Text.shown(message)); // it may name a tensor or path read from a file
        if (session.debug()) {
            t.printStackTrace(session.err());
        }
        session.err().flush();
        return code;
    }

    /**
     * zstd-jni's native library would not load: where no copy could be kept beside the jar (a user
     * who may not write {@code cli/target}) zstd-jni copies it into the temporary folder, and one
     * mounted noexec refuses to map it; this said "internal error: java.lang.UnsatisfiedLinkError:
     * ... failed to map segment from shared object\nno zstd-jni ... Please try building from
     * source" (found running as another user with {@code -Djava.io.tmpdir} on a noexec tmpfs).
     */
    static String zstdNotLoaded(UnsatisfiedLinkError e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return "cannot load zstd-jni's native library (" + (nl < 0 ? m : m.substring(0, nl)).strip() + "): if the temporary folder"
                + " does not allow programs (noexec), give another with CORAL_JAVA_OPTS=-Djava.io.tmpdir=DIR, or run one command as"
                + " the owner of cli/target, which keeps a copy there";
    }

    /**
     * The heap ran out ("Java heap space"): not a fault of Coral's to report as internal, but a
     * heap to size (a file entry of a million tensors needs 0.6-1 GB; the JVM's default is a quarter
     * of the machine's memory, less in a container).
     */
    static String heapTooSmall(long maxHeapBytes) {
        return "out of memory: the JVM's heap (at most " + (maxHeapBytes >> 20) + " MB) is too small for this command; give it more with"
                + " CORAL_JAVA_OPTS=-Xmx" + Math.max(1, 2 * (maxHeapBytes >> 30)) + "g (or more), and run it again";
    }

    /** What is wrong with a path argument no file system can name (a NUL in it). */
    static String invalidPath(java.nio.file.InvalidPathException e) {
        return "'" + e.getInput() + "': not a valid path (" + e.getReason() + ")";
    }

    private static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CommandLine.ExecutionException || e instanceof UncheckedIOException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
