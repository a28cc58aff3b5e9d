package dev.coral.testutil;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * python3 as an independent client in interop tests: finds one that imports the modules a test
 * needs, trying the python3 on the PATH, then Debian's /usr/bin/python3 (where apt's
 * python3-h5py goes); without one a test is skipped loudly, or fails when CI=true (.ci/run
 * installs them).
 */
public final class Python {
    private Python() {
    }

    /** A python3 command that runs {@code import MODULES}, or empty. */
    public static Optional<String> with(String modules) {
        for (String python : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import " + modules).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Optional.of(python);
                }
            } catch (IOException e) {
                // not there: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code command} (a python3 and its arguments), its standard error shown; returns its
     * standard output, trimmed, after failing the test if it ran over two minutes or exited non-zero.
     */
    public static String output(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        Assertions.assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
        Assertions.assertEquals(0, p.exitValue(), "python failed; its output: " + out);
        return out;
    }

    /**
     * The python3 command for {@code modules}; else skips the calling test, saying so in a banner
     * naming {@code what} and {@code install}, or fails it under CI=true.
     */
    public static String require(String modules, String what, String install) {
        Optional<String> python = with(modules);
        if (python.isPresent()) {
            return python.get();
        }
        MissingTool.skipLoudly("SKIPPED " + what + ": no python3 with " + modules + " found (" + install + ")");
        return null;
    }
}
