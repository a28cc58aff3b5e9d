package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.api.Status;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code coral status}: staged changes, unstaged changes, untracked weight files. */
@Command(name = "status", description = {
    "Show staged, unstaged and untracked weight files.",
    "Sections as in git: changes to be committed, changes not staged, untracked weight files."})
final class StatusCommand extends Subcommand {
    @Mixin
    JsonOption output;

    @Override
    int execute() throws Exception {
        Status s;
        try (Repository repo = openRepository()) {
            s = repo.status();
        }
        if (output.json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("branch", s.branch());
            m.put("head", s.head() == null ? null : s.head().hex());
            m.put("staged", changes(s.staged()));
            m.put("notStaged", changes(s.notStaged()));
            m.put("untracked", s.untracked());
            m.put("clean", s.isClean());
            out().println(JsonWriter.write(m));
            return 0;
        }
        PrintStream out = out();
        out.println(s.branch() != null ? "On branch " + s.branch()
                : "HEAD detached at " + (s.head() == null ? "(no commit)" : Text.shortId(s.head())));
        if (s.head() == null) {
            out.println();
            out.println("No commits yet");
        }
        section(out, "Changes to be committed:", "(use \"coral rm --cached <file>...\" to unstage)", s.staged());
        section(out, "Changes not staged for commit:", "(use \"coral add <file>...\" to update what will be committed)", s.notStaged());
        if (!s.untracked().isEmpty()) {
            out.println();
            out.println("Untracked weight files:");
            out.println("  (use \"coral add <file>...\" to include in what will be committed)");
            s.untracked().forEach(p -> out.println("\t" + p));
        }
        out.println();
        if (s.staged().isEmpty()) {
            if (!s.notStaged().isEmpty()) {
                out.println("no changes added to commit (use \"coral add\")");
            } else if (!s.untracked().isEmpty()) {
                out.println("nothing added to commit but untracked weight files present (use \"coral add\" to track)");
            } else {
                out.println("nothing to commit, working tree clean");
            }
        }
        return 0;
    }

    private static void section(PrintStream out, String title, String hint, List<Status.Change> changes) {
        if (changes.isEmpty()) {
            return;
        }
        out.println();
        out.println(title);
        out.println("  " + hint);
        for (Status.Change c : changes) {
            out.println("\t" + label(c.kind()) + c.path());
        }
    }

    private static String label(Status.Kind kind) {
        return switch (kind) {
            case ADDED -> "new file:   ";
            case MODIFIED -> "modified:   ";
            case DELETED -> "deleted:    ";
        };
    }

    private static List<Map<String, Object>> changes(List<Status.Change> changes) {
        return changes.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
            m.put("path", c.path());
            return m;
        }).toList();
    }
}
