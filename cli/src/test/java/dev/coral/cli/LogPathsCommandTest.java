package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral log [REV] [[--] PATH...]}, read as git reads {@code git log}: a revision first, then
 * paths (before {@code --} they must exist; after it, any); until 2026-12-07 {@code coral log --
 * model.safetensors} said "unknown revision 'model.safetensors'".
 */
class LogPathsCommandTest {
    @TempDir
    Path dir;
    private Cli cli;

    /** model.safetensors in "one", "two" and "four", opt/adam.safetensors in "one" and "three". */
    @BeforeEach
    void history() throws Exception {
        cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Path adam = dir.resolve("opt/adam.safetensors");
        Files.createDirectories(adam.getParent());
        cli.run("init").ok();
        Cli.writeModel(model, 1, "w");
        Cli.writeModel(adam, 1, "m");
        cli.run("add", ".").ok();
        cli.run("commit", "-m", "one").ok();
        Cli.writeModel(model, 2, "w");
        cli.run("commit", "-m", "two", "model.safetensors").ok();
        Cli.writeModel(adam, 3, "m");
        cli.run("commit", "-m", "three", "opt").ok();
        Cli.writeModel(model, 4, "w");
        cli.run("commit", "-m", "four", "model.safetensors").ok();
    }

    /** The messages of the commits {@code coral log --json ARGS} lists, in its order. */
    private static List<String> subjects(Cli in, String... args) throws Exception {
        String[] full = new String[args.length + 2];
        full[0] = "log";
        full[1] = "--json";
        System.arraycopy(args, 0, full, 2, args.length);
        List<?> commits = (List<?>) Json.parse(in.run(full).ok().out());
        return commits.stream().map(c -> (String) ((Map<?, ?>) c).get("message")).toList();
    }

    private List<String> subjects(String... args) throws Exception {
        return subjects(cli, args);
    }

    @Test
    void pathsAfterTheRevisionOrAfterDoubleDash() throws Exception {
        assertEquals(List.of("four", "two", "one"), subjects("--", "model.safetensors"));
        assertEquals(List.of("four", "two", "one"), subjects("model.safetensors"));
        assertEquals(List.of("three", "one"), subjects("opt"));
        assertEquals(List.of("two", "one"), subjects("HEAD~2", "model.safetensors"));
        assertEquals(List.of("two", "one"), subjects("HEAD~2", "--", "model.safetensors"));
        assertEquals(List.of("four"), subjects("-n", "1", "model.safetensors"));
        assertEquals(List.of("four", "three", "two", "one"), subjects("model.safetensors", "opt/adam.safetensors"));
        assertEquals(List.of(), subjects("--", "gone.npy"), "after --, a path that is not there: its history (none)");
    }

    @Test
    void nameStatusListsWhatEachCommitChangedUnderThePathsGiven() throws Exception {
        assertEquals(List.of("four", "M\tmodel.safetensors", "three", "M\topt/adam.safetensors", "two", "M\tmodel.safetensors",
                "one", "A\tmodel.safetensors", "A\topt/adam.safetensors"), oneLines("--name-status"));
        assertEquals(List.of("three", "opt/adam.safetensors", "one", "opt/adam.safetensors"), oneLines("--name-only", "opt"));
        String full = cli.run("log", "--name-status", "-n", "1").ok().out();
        assertEquals(List.of("", "    four", "", "M\tmodel.safetensors"), full.lines().skip(3).toList(), full);
        List<?> commits = (List<?>) Json.parse(cli.run("log", "--json", "--name-status", "-n", "1", "--", "opt").ok().out());
        assertEquals(List.of(Map.of("path", "opt/adam.safetensors", "status", "modified")), ((Map<?, ?>) commits.get(0)).get("changes"));
        Cli.Result r = cli.run("log", "--name-only", "--name-status");
        assertEquals(2, r.code());
        assertEquals("coral: --name-only and --name-status: give one of them (see coral log --help)", r.err().strip());
    }

    @Test
    void aMergeListsNoChangesAsGitsLogDoesNot() throws Exception {
        cli.run("switch", "-c", "exp", "HEAD~1").ok();
        Cli.writeModel(dir.resolve("opt/adam.safetensors"), 5, "m");
        cli.run("commit", "-m", "five", "opt").ok();
        cli.run("switch", "main").ok();
        cli.run("merge", "exp", "-m", "merged", "--strategy", "theirs").ok();
        assertEquals(List.of("merged", "five", "M\topt/adam.safetensors"), oneLines("--name-status", "-n", "2"), "newest first");
    }

    @Test
    void rangesListWhatOneSideHasAndDiffComparesThem() throws Exception {
        cli.run("switch", "-c", "exp", "HEAD~2").ok(); // at "two"
        Cli.writeModel(dir.resolve("opt/adam.safetensors"), 5, "m");
        cli.run("commit", "-m", "five", "opt").ok();
        cli.run("switch", "main").ok();
        assertEquals(List.of("five"), subjects("main..exp"), "what exp has that main has not");
        assertEquals(List.of("four", "three"), subjects("exp..main"));
        assertEquals(List.of("four", "three"), subjects("exp.."), "a side left out is HEAD");
        assertEquals(List.of("five"), subjects("..exp"));
        assertEquals(List.of("five", "four", "three"), subjects("main...exp"), "what either has that not both have");
        assertEquals(List.of("five", "four"), subjects("-n", "2", "main...exp"));
        assertEquals(List.of("five", "four", "three", "two", "one"), subjects("--all"), "every branch");
        assertEquals(List.of("five"), subjects("--all", "^main"));
        Cli empty = new Cli(Files.createDirectories(dir.resolve("opt/empty")));
        empty.run("init", "-q").ok();
        assertEquals("[]\n", empty.run("log", "--all", "--json").ok().out(), "no commit yet: nothing, and no error");
        assertEquals(List.of("five"), subjects("exp", "^main"));
        assertEquals(List.of("five", "four", "three", "two", "one"), subjects("main", "exp"));
        assertEquals(List.of("five", "three"), subjects("main...exp", "opt"), "with a path");
        assertEquals(List.of(), subjects("main..exp", "--", "model.safetensors"));

        assertEquals("M\topt/adam.safetensors\n", cli.run("diff", "--name-status", "exp...main", "--", "opt").ok().out(),
                "what main changed since exp left it: three, against two's");
        assertEquals("M\tmodel.safetensors\nM\topt/adam.safetensors\n", cli.run("diff", "--name-status", "exp..main").ok().out(),
                "exp..main is exp main");
        assertEquals(cli.run("diff", "--name-status", "exp", "main").ok().out(), cli.run("diff", "--name-status", "exp..main").ok().out());
        assertEquals("M\topt/adam.safetensors\n", cli.run("diff", "--name-status", "main...exp").ok().out(), "five against two");
        Cli.Result r = cli.run("diff", "main..nope");
        assertEquals(1, r.code());
        assertEquals("coral: unknown revision 'nope' in 'main..nope'", r.err().strip());
        r = cli.run("diff", "main..exp", "HEAD");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("diff compares at most two revisions; 'HEAD' is a third"), r.err());

        cli.run("merge", "exp", "-m", "merged", "--strategy", "theirs").ok();
        assertEquals(List.of("merged", "four", "three", "two", "one"), subjects("--first-parent"), "main's own history");
        assertEquals(List.of("merged", "five", "four", "three", "two", "one"), subjects());
        assertEquals(List.of("merged", "three", "one"), subjects("--first-parent", "--", "opt"), "the merge changed opt on main");
    }

    /** {@code coral log --oneline ARGS}, each commit's line cut to its subject (the id and decorations dropped). */
    private List<String> oneLines(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "log";
        full[1] = "--oneline";
        System.arraycopy(args, 0, full, 2, args.length);
        return cli.run(full).ok().out().lines()
                .map(l -> l.matches("[0-9a-f]{7} .*") ? l.replaceFirst("^[0-9a-f]{7} (\\([^)]*\\) )?", "") : l).toList();
    }

    @Test
    void pathsFromASubfolderAreRelativeToIt() throws Exception {
        Cli sub = new Cli(dir.resolve("opt"));
        assertEquals(List.of("three", "one"), subjects(sub, "adam.safetensors"));
        assertEquals(List.of("four"), subjects(sub, "-n", "1", "--", "../model.safetensors"));
        assertEquals(List.of("four", "three", "two", "one"), subjects(sub, "--", ".."), "the repository's root: every commit");
    }

    @Test
    void whatIsNeitherARevisionNorAPathIsRefusedNamingIt() throws Exception {
        Cli.Result r = cli.run("log", "nope");
        assertEquals(1, r.code());
        assertEquals("coral: unknown revision 'nope' (not a branch, tag or commit id, nor a path in the working tree: a path that "
                + "is not there goes after --)", r.err().strip());
        r = cli.run("log", "model.safetensors", "nope");
        assertEquals(2, r.code());
        assertEquals("coral: 'nope': unknown revision or path not in the working tree (use -- to separate paths from revisions) "
                + "(see coral log --help)", r.err().strip());
        r = cli.run("log", "model.safetensors", "--");
        assertEquals(1, r.code(), "before --, as git: a revision");
        assertEquals("coral: unknown revision 'model.safetensors' (not a branch, tag or commit id)", r.err().strip());
        assertEquals(List.of("four", "three", "two", "one"), subjects("HEAD", "HEAD~1"), "two revisions: what either reaches");
        r = cli.run("log", "model.safetensors", "HEAD~1");
        assertEquals(2, r.code());
        assertEquals("coral: 'HEAD~1' is a revision after a path: give the revisions first, then the paths (see coral log --help)",
                r.err().strip());
        r = cli.run("log", "HEAD~1..nope");
        assertEquals(1, r.code());
        assertEquals("coral: unknown revision 'nope' in 'HEAD~1..nope'", r.err().strip());
        r = cli.run("log", "nope...HEAD", "--", "model.safetensors");
        assertEquals(1, r.code());
        assertEquals("coral: unknown revision 'nope' in 'nope...HEAD'", r.err().strip());
        cli.run("branch", "opt").ok();
        r = cli.run("log", "opt");
        assertEquals(2, r.code());
        assertEquals("coral: 'opt' is both a revision and a path in the working tree: give the revisions before --, paths after it "
                + "(see coral log --help)", r.err().strip());
        assertEquals(List.of("three", "one"), subjects("--", "opt"), "after --, a path");
        assertEquals(List.of("four", "three", "two", "one"), subjects("opt", "--"), "before --, a revision");
    }
}
