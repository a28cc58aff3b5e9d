package dev.coral.cli;

import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.maintenance.GcReport;
import dev.coral.maintenance.GracePeriod;
import java.io.PrintStream;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coral gc [--dry-run] [--prune=DURATION]}: remove unreachable objects and leftovers of dead writers. */
@Command(name = "gc", description = {
    "Remove objects no branch, tag, HEAD, ORIG_HEAD or staged file can reach, and leftovers of dead writers.",
    "A pack whose objects are all unreachable is deleted; a pack under 32 MB holding reachable objects "
        + "too is rewritten without the others, a larger one kept whole (its unreachable bytes are "
        + "reported). Packs younger than the "
        + "grace period are kept, and what they refer to. Commits may run meanwhile, whatever the grace "
        + "period: gc waits for those half-way through (objects written, branch not moved yet) while it "
        + "reads the branches, and holds new ones back for the moments it reads them and deletes. "
        + "Packs without an index older than the grace period, temporary files older than it and than a "
        + "minute (a live 'coral config' or 'rm' may be writing one), ref lock files older "
        + "than 10 minutes, and the scratch folders (packs/.repack-PID) of repacks whose process "
        + "is gone are deleted. The multi-pack index is rewritten after. In the working folder, "
        + "the temporary files (.tmp-NAME-UUID) a killed checkout, merge or export left beside "
        + "weight files are deleted once a minute old, whatever the grace period ('coral status' "
        + "lists them)."})
final class GcCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Option(names = "--dry-run", description = "List what would be removed; change nothing.")
    boolean dryRun;

    @Option(names = "--prune", paramLabel = "DURATION", defaultValue = "2.weeks.ago",
            description = "Grace period: keep unreferenced packs and temporary files younger than this "
                    + "(default: ${DEFAULT-VALUE}; 'now' keeps none, and is safe beside running commits; "
                    + "e.g. 30min, 12h, 3d, 2w).")
    String prune;

    @Override
    int execute() throws Exception {
        if (dryRun && quiet()) {
            throw usage("--dry-run and --quiet: a dry run only lists what gc would remove");
        }
        Duration grace;
        try {
            grace = GracePeriod.parse(prune);
        } catch (BadInputException e) {
            throw usage(e.getMessage());
        }
        GcReport r;
        try (Repository repo = openRepository()) {
            r = Maintenance.gc(repo, dryRun, grace, () -> waiting("gc"));
        }
        print(out(), r);
        return Failures.OK;
    }

    static void print(PrintStream out, GcReport r) {
        String verb = r.dryRun() ? "would remove" : "removed";
        for (GcReport.RemovedPack p : r.removedPacks()) {
            out.println(verb + " " + p.file() + " (" + p.objects() + (p.objects() == 1 ? " object, " : " objects, ")
                    + Text.bytes(p.bytes()) + " with its index)");
        }
        for (GcReport.Removed l : r.removedLeftovers()) {
            out.println(verb + " " + l.file() + " (" + l.what() + ", " + Text.bytes(l.bytes()) + ")");
        }
        for (GcReport.Removed l : r.removedWorkingLeftovers()) {
            out.println(verb + " " + Text.shown(l.file()) + " in the working folder (" + l.what() + ", " + Text.bytes(l.bytes()) + ")");
        }
        for (GcReport.MixedPack m : r.mixedPacks()) {
            if (m.rewritten()) {
                out.println((r.dryRun() ? "would rewrite " : "rewrote ") + m.file() + " without the " + m.unreachableObjects()
                        + " unreachable of its " + m.objects() + " objects (" + Text.bytes(m.unreachableBytes()) + ")");
            } else {
                out.println("kept " + m.file() + ": " + m.unreachableObjects() + " of its " + m.objects()
                        + " objects are unreachable (" + Text.bytes(m.unreachableBytes()) + "); packs of 32 MB or more are not "
                        + "rewritten ('coral repack' drops them)");
            }
        }
        if (r.youngPacks() > 0) {
            String packs = r.youngPacks() + (r.youngPacks() == 1 ? " pack" : " packs");
            // with --prune=now, the only packs kept as young are those written as gc began (commits beside it)
            out.println(r.grace().isZero() ? "kept " + packs + " written as gc began (by commits beside it)"
                    : "kept " + packs + " younger than " + GracePeriod.describe(r.grace()) + " (--prune=now keeps none)");
        }
        long rewritten = r.rewrittenPacks();
        out.println(verb + " " + r.removedPacks().size() + (r.removedPacks().size() == 1 ? " pack" : " packs")
                + (rewritten == 0 ? "" : " and " + rewritten + " rewritten pack" + (rewritten == 1 ? "'s" : "s'") + " unreachable objects")
                + " (" + r.objectsRemoved() + " objects, " + Text.bytes(r.bytesRemoved()) + ") and "
                + r.leftoversRemoved() + (r.leftoversRemoved() == 1 ? " leftover" : " leftovers")
                + " (" + Text.bytes(r.leftoverBytesRemoved()) + "); " + r.packsKept() + " packs kept, "
                + r.reachableObjects() + " reachable objects");
    }
}
