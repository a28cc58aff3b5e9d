package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.api.Status;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code coral status}: staged changes, unstaged changes, untracked weight files. */
@Command(name = "status", description = {
    "Show staged, unstaged and untracked weight files.",
    "Sections as in git: changes to be committed, changes not staged, untracked weight files; then the temporary files "
        + "(.tmp-NAME-UUID, a minute old or more) a killed checkout, merge or export left beside weight files, which 'coral gc' removes.",
    "Paths are relative to the current folder (or -C DIR), as add and rm take them; with --json, to the repository's root.",
    "--json's \"clean\" is true only when nothing is staged, changed, untracked or unstorable (the text's \"working tree clean\").",
    "A file whose size, modification time, ctime and inode are as staged is taken as unchanged (an edit that puts the time back, as cp -p does, still changes the ctime), unless it was modified less than two seconds before the staging index was written (git's racy entries): that one is read and compared by content."})
final class StatusCommand extends Subcommand {
    @Mixin
    JsonOption output;

    @Override
    int execute() throws Exception {
        Status s;
        Path root;
        try (Repository repo = openRepository()) {
            s = repo.status();
            root = repo.root();
            warnOfUnreadablePaths(repo);
        }
        if (output.json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("branch", s.branch());
            m.put("head", s.head() == null ? null : s.head().hex());
            m.put("staged", changes(s.staged()));
            m.put("notStaged", changes(s.notStaged()));
            m.put("untracked", s.untracked());
            m.put("unstorable", s.unstorable());
            m.put("leftovers", s.leftovers());
            m.put("clean", s.isWorkingTreeClean());
            out().println(JsonWriter.write(m));
            return 0;
        }
        PrintStream out = out();
        Function<String, String> shown = Text.pathsFrom(root, workDir());
        out.println(s.branch() != null ? "On branch " + s.branch()
                : "HEAD detached at " + (s.head() == null ? "(no commit)" : Text.shortId(s.head())));
        if (s.head() == null) {
            out.println();
            out.println("No commits yet");
        }
        section(out, "Changes to be committed:", s.staged(), shown, "(use \"coral restore --staged <file>...\" to unstage)");
        section(out, "Changes not staged for commit:", s.notStaged(), shown, "(use \"coral add <file>...\" to update what will be committed)",
                "(use \"coral restore <file>...\" to discard changes in the working folder)");
        if (!s.untracked().isEmpty()) {
            out.println();
            out.println("Untracked weight files:");
            out.println("  (use \"coral add <file>...\" to include in what will be committed)");
            s.untracked().forEach(p -> out.println("\t" + Text.shown(shown.apply(p))));
        }
        if (!s.unstorable().isEmpty()) {
            out.println();
            out.println("Weight files Coral cannot store (a backslash in the name, a top-level name such as a:b that Windows reads as a drive, or a name that is not UTF-8):");
            out.println("  (rename them to add them)");
            s.unstorable().forEach(p -> out.println("\t" + Text.shown(shown.apply(p))));
        }
        if (!s.leftovers().isEmpty()) {
            out.println();
            out.println("Temporary files a killed checkout, merge or export left:");
            out.println("  (\"coral gc\" removes them; so does the next checkout of their file)");
            s.leftovers().forEach(p -> out.println("\t" + Text.shown(shown.apply(p)) + " (" + Text.bytes(sizeOf(root.resolve(p))) + ")"));
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

    /** The size of a file, 0 when it went meanwhile. */
    private static long sizeOf(Path f) {
        try {
            return java.nio.file.Files.size(f);
        } catch (java.io.IOException gone) {
            return 0;
        }
    }

    private static void section(PrintStream out, String title, List<Status.Change> changes, Function<String, String> shown,
                                String... hints) {
        if (changes.isEmpty()) {
            return;
        }
        out.println();
        out.println(title);
        for (String hint : hints) {
            out.println("  " + hint);
        }
        for (Status.Change c : changes) {
            out.println("\t" + label(c.kind()) + Text.shown(shown.apply(c.path())));
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
