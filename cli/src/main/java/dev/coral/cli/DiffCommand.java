package dev.coral.cli;

import dev.coral.api.DiffSide;
import dev.coral.api.Repository;
import dev.coral.api.RevisionSet;
import dev.coral.diff.FileChange;
import dev.coral.diff.TensorChange;
import dev.coral.diff.TensorStats;
import dev.coral.tensor.TensorSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral diff [--staged] [REV [REV]] [-- PATH...]}: which tensors changed, and by how much. */
@Command(name = "diff", description = {
    "Show which tensors of the tracked weight files changed, and by how much (as git diff):",
    "  coral diff              changes not staged: the staged files against the working files;",
    "  coral diff REV          REV's files against the working files;",
    "  coral diff --staged [REV]  what a commit would record: REV's files (default HEAD) against the staged ones;",
    "  coral diff REV1 REV2    two revisions (REV1..REV2 too); REV1...REV2: what REV2 changed since it left REV1's history "
        + "(their merge base against REV2).",
    "PATHs (after the revisions, or after --) limit it to those files or folders.",
    "Per file: added, deleted or modified; per tensor of a modified file: added, removed, retyped (another dtype), "
        + "reshaped, or modified with, over its elements (d = new - old): how many changed, max|d|, L2 = ||d||, "
        + "rel = ||d|| / ||old||, and cos, the cosine similarity of the two versions. Values are taken for BOOL, the "
        + "integers and the floats of 8 to 64 bits; complex and F128 count changed elements only, the sub-byte floats only "
        + "whether any changed. "
        + "NaN and infinite elements are left out of the values and counted apart.",
    "Tensors stored alike on both sides are not read; others are read side by side, a block at a time."})
final class DiffCommand extends Subcommand {
    @Option(names = {"--staged", "--cached"}, description = "Compare the staged files with REV (default HEAD).")
    boolean staged;

    @Option(names = "--exit-code", description = "Exit with 1 when there are differences, 0 when there are none (as git diff --exit-code).")
    boolean exitCode;

    @Option(names = "--name-only", description = "Print the paths of the files that differ, one per line; read no tensors.")
    boolean nameOnly;

    @Option(names = "--name-status", description = "Print each file that differs as its status letter (A added, D deleted, "
            + "M modified), a tab and its path; read no tensors.")
    boolean nameStatus;

    @Parameters(arity = "0..*", paramLabel = "REV|PATH", description = "Up to two revisions, then files or folders (paths "
            + "may follow --).")
    List<String> args = new ArrayList<>();

    @Mixin
    JsonOption output;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            int beforeDashes = positionalsBeforeDoubleDash(args);
            List<String> revisions = new ArrayList<>();
            List<Path> paths = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (i < beforeDashes && paths.isEmpty() && revisions.isEmpty() && a.contains("..") && !Files.exists(userPath(a))) {
                    RevisionSet.DiffRange range = RevisionSet.diffRange(repo, a);
                    if (range.warning() != null) {
                        coral.session().err().println("coral: warning: " + range.warning());
                    }
                    revisions.add(range.from());
                    revisions.add(range.to());
                } else if (i < beforeDashes && paths.isEmpty() && revisions.size() < 2 && isRevision(repo, a)) {
                    if (Files.exists(userPath(a))) {
                        throw usage("'" + a + "' is both a revision and a path in the working tree: give revisions before --, "
                                + "paths after it");
                    }
                    revisions.add(a);
                } else {
                    Path p = userPath(a);
                    if (i < beforeDashes && paths.isEmpty() && revisions.size() == 2 && !Files.exists(p) && isRevision(repo, a)) {
                        throw usage("diff compares at most two revisions; '" + a + "' is a third");
                    }
                    if (i < beforeDashes && !Files.exists(p)) {
                        throw usage("'" + a + "': unknown revision or path not in the working tree (use -- to separate paths "
                                + "from revisions)");
                    }
                    paths.add(p);
                }
            }
            for (String r : revisions) {
                warnIfAmbiguous(repo, r);
            }
            if (staged && revisions.size() > 1) {
                throw usage("--staged compares the staged files with one revision, not " + revisions.size());
            }
            DiffSide from;
            DiffSide to;
            if (staged) {
                from = revisions.isEmpty() ? (repo.headCommit() == null ? DiffSide.NOTHING : DiffSide.revision("HEAD"))
                        : DiffSide.revision(revisions.get(0));
                to = DiffSide.INDEX;
            } else if (revisions.isEmpty()) {
                from = DiffSide.INDEX;
                to = DiffSide.WORK_TREE;
            } else if (revisions.size() == 1) {
                from = DiffSide.revision(revisions.get(0));
                to = DiffSide.WORK_TREE;
            } else {
                from = DiffSide.revision(revisions.get(0));
                to = DiffSide.revision(revisions.get(1));
            }
            if (nameOnly && nameStatus) {
                throw usage("--name-only and --name-status: give one");
            }
            boolean names = nameOnly || nameStatus;
            List<FileChange> changes = names ? repo.diffFiles(from, to, paths) : repo.diff(from, to, paths);
            if (names && !output.json) {
                Function<String, String> shown = Text.pathsFrom(repo.root(), workDir());
                for (FileChange f : changes) {
                    String path = Text.shown(shown.apply(f.path()));
                    out().println(nameOnly ? path : f.kind().name().charAt(0) + "\t" + path);
                }
            } else if (output.json) {
                out().println(JsonWriter.write(Map.of("files", changes.stream().map(DiffCommand::json).toList())));
            } else {
                print(out(), changes, Text.pathsFrom(repo.root(), workDir()));
            }
            return exitCode && !changes.isEmpty() ? 1 : 0;
        }
    }

    static void print(PrintStream out, List<FileChange> changes, Function<String, String> shown) {
        for (FileChange f : changes) {
            String path = Text.shown(shown.apply(f.path()));
            if (f.kind() != FileChange.Kind.MODIFIED) {
                out.println(f.kind().word() + ": " + path + " (" + Text.count(f.tensors().size(), "tensor") + ")");
                continue;
            }
            long changed = f.tensorsChanged();
            if (changed == 0) {
                out.println("modified: " + path + " (its tensors are unchanged; other bytes of the file differ)");
                continue;
            }
            out.println("modified: " + path);
            List<TensorChange> shownTensors = f.tensors().stream().filter(t -> t.kind() != TensorChange.Kind.UNCHANGED).toList();
            int nameWidth = shownTensors.stream().mapToInt(t -> Text.shown(t.name()).length()).max().orElse(0);
            int specWidth = shownTensors.stream().mapToInt(t -> specs(t).length()).max().orElse(0);
            for (TensorChange t : shownTensors) {
                String line = String.format(Locale.ROOT, "  %-9s %-" + nameWidth + "s  %-" + specWidth + "s  %s", t.kind().word(),
                        Text.shown(t.name()), specs(t), stats(t.stats()));
                out.println(line.stripTrailing());
            }
            long unchanged = f.tensors().size() - changed;
            if (unchanged > 0) {
                out.println("  (" + Text.count(unchanged, "tensor") + " unchanged)");
            }
        }
    }

    /** The tensor's dtype and shape, or both sides' when they differ. */
    private static String specs(TensorChange t) {
        return switch (t.kind()) {
            case ADDED -> spec(t.to());
            case REMOVED -> spec(t.from());
            case RETYPED, RESHAPED -> spec(t.from()) + " -> " + spec(t.to());
            case MODIFIED, UNCHANGED -> spec(t.to());
        };
    }

    private static String spec(TensorSpec s) {
        return s.dtype() + " " + java.util.Arrays.toString(s.shape().dims());
    }

    private static String stats(TensorStats s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(s.changed() < 0 ? "elements changed" : String.format(Locale.ROOT, "%,d of %,d changed", s.changed(), s.elements()));
        if (s.nonFinite() > 0) {
            sb.append(String.format(Locale.ROOT, " (%,d NaN or infinite)", s.nonFinite()));
        }
        if (s.hasValues()) {
            sb.append(String.format(Locale.ROOT, "  max|d| %.3g  L2 %.3g  rel %s  cos %s", s.maxAbsDiff(), s.l2Diff(),
                    Double.isNaN(s.relativeL2()) ? "-" : String.format(Locale.ROOT, "%.3g", s.relativeL2()),
                    Double.isNaN(s.cosine()) ? "-" : String.format(Locale.ROOT, "%.8f", s.cosine())));
        }
        return sb.toString();
    }

    private static Map<String, Object> json(FileChange f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", f.path());
        m.put("status", f.kind().word());
        m.put("tensors", f.tensors().stream().map(DiffCommand::json).toList());
        return m;
    }

    private static Map<String, Object> json(TensorChange t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("status", t.kind().word());
        m.put("from", t.from() == null ? null : json(t.from()));
        m.put("to", t.to() == null ? null : json(t.to()));
        TensorStats s = t.stats();
        if (s != null) {
            m.put("elements", s.elements());
            m.put("changed", s.changed() < 0 ? null : s.changed());
            m.put("nonFinite", s.nonFinite());
            m.put("maxAbsDiff", finite(s.maxAbsDiff()));
            m.put("l2Diff", finite(s.l2Diff()));
            m.put("l2From", finite(s.l2From()));
            m.put("l2To", finite(s.l2To()));
            m.put("relativeL2", finite(s.relativeL2()));
            m.put("cosine", finite(s.cosine()));
        }
        return m;
    }

    private static Map<String, Object> json(TensorSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dtype", s.dtype().toString());
        m.put("shape", s.shape().dims());
        return m;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }
}
