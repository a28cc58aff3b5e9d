package dev.coral.testutil;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** What an interop test does without the independent client it needs (python3 and its modules, git). */
public final class MissingTool {
    private MissingTool() {
    }

    /**
     * Skips the calling test, saying {@code message} ("SKIPPED what: no X found (how to install it)")
     * in a banner on standard error; fails it instead under CI=true, where .ci/run installs the tool.
     */
    public static void skipLoudly(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(message + " (CI=true requires it)");
        }
        System.err.println("**********************************************************");
        System.err.println(message);
        System.err.println("**********************************************************");
        Assumptions.abort(message);
    }
}
