package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.repo.RepositoryConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code coral config}, {@code coral config KEY}, {@code coral config KEY VALUE}. */
@Command(name = "config", description = {
    "Show or change the repository's settings (.coral/config).",
    "Without KEY: every setting. With KEY: its value. With KEY VALUE: set it.",
    "Sizes (chunk.bytes, cache.bytes) take K, M, G or T suffixes (binary: 4M = 4194304). Setting a key prints "
        + "its stored value, and any other setting changed to fit it (a delta.run longer than a new delta.max-depth).",
    "Keys: chunk.bytes, zstd.level, delta.max-depth, delta.run (see coral init --help), and "
        + "codec.contexts (true: XOR delta planes may be coded by the base's magnitudes, measured 2-3%% "
        + "smaller fp32 and 11%% smaller BF16 histories; false: 25%% faster commits, 28%% faster checkouts), and "
        + "codec.zigzag (true: a delta may be stored as the zigzagged integer difference of each element and its base "
        + "where that is at least 8%% smaller than XOR, measured 13%% smaller BF16 histories, fp32 unchanged; false: "
        + "XOR and integer deltas only, about a third faster checkouts deep in BF16 chains, which a checkout can also "
        + "undo from a newer file), and "
        + "cache.bytes (budget of .coral/cache/chunks, raw copies of the newest delta-encoded chunks: the two "
        + "newest versions of each file, so that the next commit and a checkout of the newest commit or the one "
        + "before skip decoding delta chains; 0 turns it off; default 1 GiB), and "
        + "similarity.threshold (0 to 1, default 0.6: the least fraction of sampled elements whose sign and top "
        + "exponent bits must agree with a stored tensor's for it to become the delta base of a tensor with no "
        + "previous version, e.g. an independent fine-tune; also joins the clusters of coral stats --clusters), and "
        + "checkout.fsync (default false: on Linux checkouts leave their files in the page cache, as git does, and "
        + "the staging index marks them so that status compares them by content after a crash of the machine; "
        + "true: each file is fsynced before it is renamed into place, as on platforms without boot ids, e.g. for "
        + "NFS).",
    "New commits use the new settings; coral repack re-plans the stored chains with them.",
    "Also rewrites a damaged or missing config (from the defaults plus the setting given, which it lists on standard "
        + "error). Keys this Coral does not know (a newer Coral's, or a typo) are kept, and named on standard error."})
final class ConfigCommand extends Subcommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY", description = "A setting's name.")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "Its new value.")
    String value;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            if (value != null) {
                String problem = repo.configProblem();
                SortedMap<String, String> before = problem == null ? repo.config().settings() : null;
                SortedMap<String, String> after;
                try {
                    after = repo.setConfig(key, value).settings();
                } catch (BadInputException e) {
                    throw usage(e.getMessage());
                }
                out().println(key + "=" + after.get(key));
                if (before == null) {
                    List<String> others = new ArrayList<>();
                    after.forEach((k, v) -> {
                        if (!k.equals(key)) {
                            others.add(k + "=" + v);
                        }
                    });
                    coral.session().err().println("coral: warning: " + problem + "; rewritten from the defaults: "
                            + String.join(", ", others) + " (set again any that differed)");
                } else {
                    after.forEach((k, v) -> {
                        if (!k.equals(key) && !v.equals(before.get(k))) {
                            out().println(k + "=" + v + " (changed to fit " + key + ")");
                        }
                    });
                }
                return 0;
            }
            if (repo.configProblem() != null) {
                throw new CorruptObjectException(repo.configProblem() + " (coral config KEY VALUE rewrites it from the defaults)");
            }
            SortedMap<String, String> settings = repo.config().settings();
            if (key == null) {
                settings.forEach((k, v) -> out().println(k + "=" + v));
                RepositoryConfig.unknownSettingsWarning(repo.root().resolve(".coral").resolve("config"))
                        .ifPresent(w -> coral.session().err().println("coral: warning: .coral/config has " + w));
                return 0;
            }
            String v = settings.get(key);
            if (v == null) {
                throw usage("unknown setting '" + key + "' (known: " + String.join(", ", settings.keySet()) + ")");
            }
            out().println(v);
        }
        return 0;
    }
}
