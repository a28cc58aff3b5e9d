package dev.coral.cli;

import picocli.CommandLine.Option;

/** The shared {@code --json} option. */
final class JsonOption {
    @Option(names = "--json", description = "Print machine-readable JSON instead of text.")
    boolean json;
}
