package dev.coral.cli;

import dev.coral.api.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code coral repack}: re-plan delta bases and chains for the whole repository, into one pack. */
@Command(name = "repack", description = {
    "Re-plan delta bases and chains for the whole repository and write everything reachable into one "
        + "pack.",
    "Each tensor's chunks are encoded against the same tensor's previous version, in commit order, "
        + "with the repository's chain bound (delta.max-depth); a tensor with no previous version (an "
        + "imported model, a fine-tune, a renamed tensor) against the most similar tensor before it, found "
        + "by content. No object id changes. The packs that existed before are removed once the new one is "
        + "in place. The similarity index (.coral/cache/similarity) is rebuilt from what was copied, so a lost "
        + "or damaged one is whole again. Runs under the gc lock; commits may go on meanwhile."})
final class RepackCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Override
    int execute() throws Exception {
        Repository.RepackResult r;
        try (Repository repo = openRepository()) {
            r = repo.repack(() -> waiting("repack"));
        }
        out().println("repacked " + Text.count(r.objects(), "object") + " from " + Text.count(r.packsBefore(), "pack")
                + " into " + Text.count(r.objects() == 0 ? 0 : 1, "pack") + ": " + Text.bytes(r.bytesBefore()) + " -> " + Text.bytes(r.bytesAfter()) + ", "
                + Text.count(r.deltaChunks(), "delta chunk"));
        return Failures.OK;
    }
}
