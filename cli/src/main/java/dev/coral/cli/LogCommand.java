package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral log [--oneline] [-n N] [--json] [REV]}. */
@Command(name = "log", description = "Show the commits reachable from REV (default: HEAD), newest first.")
final class LogCommand extends Subcommand {
    @Option(names = "--oneline", description = "One line per commit: short id, subject, metrics.")
    boolean oneline;

    @Option(names = {"-n", "--max-count"}, paramLabel = "N", description = "Show at most N commits.")
    Integer maxCount;

    @Mixin
    JsonOption output;

    @Parameters(arity = "0..1", paramLabel = "REV", description = "Where to start (branch, tag, id, HEAD~N). Default: HEAD.")
    String rev = "HEAD";

    @Override
    int execute() throws Exception {
        if (maxCount != null && maxCount < 0) {
            throw usage("-n " + maxCount + ": must not be negative");
        }
        PrintStream out = out();
        try (Repository repo = openRepository()) {
            warnIfAmbiguous(repo, rev);
            if (rev.equals("HEAD") && repo.headCommit() == null) {
                String b = repo.currentBranch();
                throw new dev.coral.error.UnknownRevisionException(
                        "your current branch '" + (b == null ? "HEAD" : b) + "' does not have any commits yet");
            }
            List<CommitWalk.Entry> entries = repo.log(rev, maxCount == null ? -1 : maxCount);
            if (output.json) {
                List<Object> list = new ArrayList<>();
                entries.forEach(e -> list.add(CommitView.json(e.id(), e.commit())));
                out.println(JsonWriter.write(list));
                return 0;
            }
            Map<ObjectId, String> decorations = decorations(repo);
            boolean first = true;
            for (CommitWalk.Entry e : entries) {
                String d = decorations.get(e.id());
                if (oneline) {
                    out.println(CommitView.oneLine(e.id(), e.commit(), d));
                } else {
                    if (!first) {
                        out.println();
                    }
                    CommitView.printHeader(out, e.id(), e.commit(), d);
                }
                first = false;
            }
        }
        return 0;
    }

    /** {@code HEAD -> main, tag: v1, exp} per commit, as git log decorates. */
    static Map<ObjectId, String> decorations(Repository repo) throws IOException {
        Map<ObjectId, List<String>> names = new HashMap<>();
        ObjectId head = repo.headCommit();
        String current = repo.currentBranch();
        if (head != null && current == null) {
            names.computeIfAbsent(head, k -> new ArrayList<>()).add("HEAD");
        }
        for (String b : repo.branches()) {
            ObjectId tip = repo.branchTip(b);
            if (tip != null) {
                names.computeIfAbsent(tip, k -> new ArrayList<>()).add(b.equals(current) ? "HEAD -> " + b : b);
            }
        }
        for (String t : repo.tags()) {
            try {
                // by its full name: a branch of the same name resolves first (found by fuzzing against git)
                names.computeIfAbsent(repo.resolve("refs/tags/" + t), k -> new ArrayList<>()).add("tag: " + t);
            } catch (IOException e) {
                // a tag that does not resolve is not worth failing log over
            }
        }
        Map<ObjectId, String> out = new HashMap<>();
        names.forEach((id, list) -> {
            list.sort((a, b) -> Integer.compare(rank(a), rank(b)));
            out.put(id, String.join(", ", list));
        });
        return out;
    }

    private static int rank(String decoration) {
        return decoration.startsWith("HEAD") ? 0 : decoration.startsWith("tag: ") ? 2 : 1;
    }
}
