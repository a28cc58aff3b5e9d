package dev.coral.cli;

import picocli.CommandLine.Option;

/**
 * The shared {@code -q/--quiet} option of the commands that change the repository or the working
 * folder (as git's): on success they print nothing, neither their summary on standard output nor
 * progress on standard error. Errors and warnings still go to standard error.
 */
final class QuietOption {
    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success (no summary, no progress); errors and warnings "
            + "still go to standard error.")
    boolean quiet;
}
