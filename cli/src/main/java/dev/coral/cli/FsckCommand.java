package dev.coral.cli;

import dev.coral.api.Maintenance;
import dev.coral.error.NotARepositoryException;
import dev.coral.maintenance.Finding;
import dev.coral.maintenance.FsckReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coral fsck [--json] [--rebuild-index]}: verify every file and object of the repository. */
@Command(name = "fsck", description = {
    "Verify every file and object of the repository; name what damage affects.",
    "Checks every pack (header, each entry's checksum, trailer, whole-pack checksum), every pack "
        + "index and the multi-pack index, HEAD, branches, tags, config, the format features (.coral/format: "
        + "a feature this Coral does not know is a problem) and the staging index; then every "
        + "object reachable from branches, tags, HEAD and the staging index is read, chunks decoded through "
        + "their delta chains and their SHA-256 checked.",
    "Each problem is one line naming the file and the tensors, files and commits it affects. It holds the gc lock while "
        + "it checks (waiting up to 2 s for a writer's pack merge), so no gc, repack or merge deletes a pack under it; beside a "
        + "longer gc or repack it checks without it, and checks again (up to 3 times) when packs it listed went while it read.",
    "Leftovers of dead writers and stale lock files are warnings ('coral gc' removes them), and so are chunks "
        + "using a format feature .coral/format does not declare (the next commit or repack declares it), a damaged or "
        + "stale multi-pack index (derived data the store then ignores), a damaged similarity index (derived data too: "
        + "new tensors then find delta bases only among those indexed since) and a HEAD naming a branch that does not exist "
        + "while commits are stored (the warning names the newest commits no ref reaches). A pack without an index "
        + "whose objects commits need is a problem that --rebuild-index repairs.",
    "Exit code: 0 no problem (warnings allowed), 1 problems found."})
final class FsckCommand extends Subcommand {
    @Option(names = "--rebuild-index", description = "First rebuild pack indexes that do not verify or are missing (from "
            + "their packs, when those verify whole), rewrite the multi-pack index from the pack indexes, and rebuild the "
            + "similarity index (which 'coral stats --clusters' and the choice of delta bases for new tensors read) from the "
            + "tensors that start a lineage: it reads those, for a history of one model its first version.")
    boolean rebuildIndex;

    @Mixin
    JsonOption output;

    @Override
    int execute() throws Exception {
        Path coralDir;
        try {
            coralDir = Maintenance.findCoralDir(coral.workDir());
        } catch (NotARepositoryException e) {
            throw new NotARepositoryException(coral.workDir() + ": not a Coral repository (nor any parent folder); run 'coral init'");
        }
        FsckReport r = Maintenance.fsck(coralDir, rebuildIndex);
        if (output.json) {
            out().println(JsonWriter.write(json(r)));
        } else {
            print(out(), r);
        }
        return r.clean() ? Failures.OK : Failures.FAILED;
    }

    static void print(PrintStream out, FsckReport r) {
        r.repairs().forEach(out::println);
        r.problems().forEach(f -> out.println(Text.shown(f.line()))); // one line each, whatever the names in it hold
        r.warnings().forEach(f -> out.println("warning: " + Text.shown(f.line())));
        String verdict = r.clean() ? "no problems" : Text.count(r.problems().size(), "problem");
        if (!r.warnings().isEmpty()) {
            verdict += ", " + Text.count(r.warnings().size(), "warning");
        }
        out.println("checked " + Text.count(r.packs(), "pack") + " (" + Text.count(r.packedObjects(), "object") + "), "
                + Text.count(r.reachableObjects(), "reachable object") + " in " + Text.count(r.commits(), "commit")
                + ", " + Text.count(r.chunksVerified(), "chunk") + " decoded: " + verdict);
    }

    static Map<String, Object> json(FsckReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clean", r.clean());
        m.put("problems", findings(r.problems()));
        m.put("warnings", findings(r.warnings()));
        m.put("repairs", r.repairs());
        m.put("packs", r.packs());
        m.put("packedObjects", r.packedObjects());
        m.put("reachableObjects", r.reachableObjects());
        m.put("commits", r.commits());
        m.put("chunksVerified", r.chunksVerified());
        return m;
    }

    private static List<Object> findings(List<Finding> list) {
        List<Object> out = new ArrayList<>();
        for (Finding f : list) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", f.file());
            m.put("message", f.message());
            m.put("affects", f.affected());
            m.put("commits", f.commits().stream().map(c -> c.hex()).sorted().toList());
            m.put("tensors", f.tensors().stream().sorted().toList());
            m.put("line", f.line());
            out.add(m);
        }
        return out;
    }
}
