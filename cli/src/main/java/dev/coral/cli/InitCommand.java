package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.repo.RepositoryConfig;
import dev.coral.error.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral init [DIR] [--chunk-size ...] [-c KEY=VALUE ...]}: creates a repository. */
@Command(name = "init", description = "Create an empty Coral repository in DIR (default: here).")
final class InitCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Parameters(arity = "0..1", paramLabel = "DIR", description = "Folder to create the repository in.")
    String dir;

    @Option(names = "--chunk-size", paramLabel = "BYTES",
            description = "Chunk size for splitting tensors (64 bytes to 256M; suffixes K, M). Default: 4M.")
    String chunkSize;

    @Option(names = "--zstd-level", paramLabel = "N", description = "zstd compression level, -7 to 22. Default: "
            + RepositoryConfig.DEFAULT_ZSTD_LEVEL + ".")
    Integer zstdLevel;

    @Option(names = "--delta-depth", paramLabel = "N", description = "Most deltas on any version's chain, 0 (none) to 24: deeper chains store less and read slower. Default: "
            + RepositoryConfig.DEFAULT_MAX_CHAIN_DEPTH + ".")
    Integer deltaDepth;

    @Option(names = "--delta-run", paramLabel = "N", description = "Versions in a run of deltas against the previous version, 1 to the depth (1: plain skip-delta chains). Default: "
            + RepositoryConfig.DEFAULT_DELTA_RUN + ".")
    Integer deltaRun;

    @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE",
            description = "Any coral config setting; repeatable, applied after the options above (e.g. -c cache.bytes=0).")
    List<String> settings = new ArrayList<>();

    @Override
    int execute() throws Exception {
        RepositoryConfig config = RepositoryConfig.defaults();
        try {
            if (chunkSize != null) {
                config = config.withChunkBytes(RepositoryConfig.parseChunkBytes(chunkSize));
            }
            if (zstdLevel != null) {
                config = config.withZstdLevel(zstdLevel);
            }
            if (deltaDepth != null) {
                config = config.withMaxChainDepth(deltaDepth);
            }
            if (deltaRun != null) {
                config = config.withDeltaRun(deltaRun);
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw usage("-c " + kv + ": give a setting as KEY=VALUE");
            }
            try {
                config = config.with(kv.substring(0, eq), kv.substring(eq + 1));
            } catch (BadInputException e) {
                throw usage("-c " + kv + ": " + e.getMessage());
            }
        }
        Path root = dir == null ? coral.workDir() : userPath(dir);
        try (Repository repo = Repository.init(root, config)) {
            out().println("Initialized empty Coral repository in " + repo.root().resolve(".coral"));
        }
        return 0;
    }
}
