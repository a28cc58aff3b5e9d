package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral reset}, as git's: a training run that went wrong is rolled back with
 * {@code reset --hard HEAD~N}, and that is undone with {@code reset --hard ORIG_HEAD}; a plain
 * {@code reset} unstages, with or without paths. Its output is git's.
 */
class ResetCommandTest {
    @TempDir
    Path dir;
    private Cli cli;
    private Path model;
    private byte[] first;
    private byte[] second;

    /** model.safetensors committed as "one", then changed and committed as "two". */
    @BeforeEach
    void twoCommits() throws Exception {
        cli = new Cli(dir);
        model = dir.resolve("model.safetensors");
        Cli.writeModel(model, 1, "layer0");
        first = DemoCommand.sha256(model);
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "model.safetensors").ok();
        Cli.writeModel(model, 2, "layer0");
        second = DemoCommand.sha256(model);
        cli.run("commit", "-m", "two", "model.safetensors").ok();
    }

    @Test
    void hardRollsBackAndOrigHeadRollsForward() throws Exception {
        Cli.Result r = cli.run("reset", "--hard", "HEAD~1").ok();
        assertTrue(r.out().startsWith("HEAD is now at ") && r.out().contains(" one"), r.out());
        assertArrayEquals(first, DemoCommand.sha256(model));
        assertEquals(1, cli.run("log", "--oneline").ok().out().strip().lines().count(), "the branch has one commit");
        assertTrue(cli.run("status").ok().out().contains("nothing to commit"));

        cli.run("reset", "--hard", "ORIG_HEAD").ok();
        assertArrayEquals(second, DemoCommand.sha256(model));
        assertTrue(cli.run("log", "--oneline").ok().out().contains(" two"));
    }

    @Test
    void mixedListsTheChangesItLeavesUnstaged() throws Exception {
        Cli.Result r = cli.run("reset", "HEAD~1").ok();
        assertEquals("Unstaged changes after reset:\nM\tmodel.safetensors", r.out().strip());
        assertArrayEquals(second, DemoCommand.sha256(model), "the working file stays");
        String status = cli.run("status").ok().out();
        assertTrue(status.contains("Changes not staged for commit") && !status.contains("Changes to be committed"), status);
    }

    @Test
    void softPrintsNothingAndTheNextCommitRedoesTheSameTree() throws Exception {
        assertEquals("", cli.run("reset", "--soft", "HEAD~1").ok().out());
        assertTrue(cli.run("status").ok().out().contains("Changes to be committed"));
        cli.run("commit", "-m", "two again").ok();
        assertEquals("", cli.run("diff", "ORIG_HEAD", "HEAD").ok().out(), "the same files as two");
    }

    @Test
    void pathsAreUnstagedWhateverTheFormAndHeadStays() throws Exception {
        Cli.writeModel(model, 3, "layer0");
        String head = cli.run("log", "-n", "1", "--oneline").ok().out();
        for (String[][] form : new String[][][] {{{"reset", "model.safetensors"}}, {{"reset", "--", "model.safetensors"}},
                {{"reset", "HEAD", "model.safetensors"}}, {{"reset", "--mixed", "HEAD", "--", "model.safetensors"}}}) {
            cli.run("add", "model.safetensors").ok();
            Cli.Result r = cli.run(form[0]).ok();
            assertTrue(r.out().contains("M\tmodel.safetensors"), String.join(" ", form[0]) + ": " + r.out());
            assertTrue(!cli.run("status").ok().out().contains("Changes to be committed"), String.join(" ", form[0]));
            assertEquals(head, cli.run("log", "-n", "1", "--oneline").ok().out(), String.join(" ", form[0]));
        }
    }

    /**
     * As git's (found by fuzzing against it): a path that matches nothing tracked is nothing to
     * do after {@code --} or when it is a file there (untracked); without {@code --} and not there,
     * it is neither a path nor a revision.
     */
    @Test
    void pathsMatchingNothingTrackedAreNothingToDoAsInGit() throws Exception {
        byte[] index = Files.readAllBytes(dir.resolve(".coral/index"));
        Cli.writeModel(dir.resolve("new.safetensors"), 4, "x");
        for (String[] args : new String[][] {{"reset", "--", "nope.safetensors"}, {"reset", "new.safetensors"},
                {"reset", "HEAD", "--", "new.safetensors", "nope.npy"}}) {
            Cli.Result r = cli.run(args);
            assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals("", r.out() + r.err(), String.join(" ", args));
        }
        assertArrayEquals(index, Files.readAllBytes(dir.resolve(".coral/index")));
        assertTrue(cli.run("reset", "nope.safetensors").err().contains("unknown revision 'nope.safetensors'"));
        // the first argument, when no revision, makes them all paths (found by fuzzing against git: the second made the first a revision)
        cli.run("add", "new.safetensors").ok();
        Cli.Result two = cli.run("reset", "new.safetensors", "nope.npy");
        assertEquals(0, two.code(), two.err());
        assertTrue(cli.run("status").ok().out().contains("Untracked weight files"), "new.safetensors unstaged");
        // a tracked file that is not there, without --, is neither a path nor a revision, as git's "ambiguous argument"
        Files.delete(model);
        assertTrue(cli.run("reset", "model.safetensors").err().contains("unknown revision 'model.safetensors'"));
        assertEquals(0, cli.run("reset", "--", "model.safetensors").code());
        assertEquals(1, cli.run("restore", "--staged", "new.safetensors").code(), "restore --staged still refuses, as git's");
    }

    @Test
    void mistakesAreOneLineErrorsThatChangeNothing() throws Exception {
        byte[] index = Files.readAllBytes(dir.resolve(".coral/index"));
        String[][] usage = {{"reset", "--hard", "model.safetensors"}, {"reset", "--soft", "HEAD", "model.safetensors"},
            {"reset", "--soft", "--hard"}, {"reset", "--keep"}};
        for (String[] args : usage) {
            Cli.Result r = cli.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
        }
        String[][] refused = {{"reset", "nosuch"}, {"reset", "--hard", "HEAD~5"}, {"reset", "--soft", "ORIG_HEAD"}};
        for (String[] args : refused) {
            Cli.Result r = cli.run(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
        }
        assertTrue(cli.run("reset", "nosuch").err().contains("unknown revision 'nosuch'"));
        Files.writeString(dir.resolve("main"), "a file named as the branch");
        Cli.Result both = cli.run("reset", "main");
        assertEquals(2, both.code(), both.err());
        assertTrue(both.err().contains("'main' is both a revision and a path in the working tree"), both.err());
        Files.delete(dir.resolve("main"));
        assertArrayEquals(index, Files.readAllBytes(dir.resolve(".coral/index")));
        assertArrayEquals(second, DemoCommand.sha256(model));
        assertTrue(cli.run("log", "-n", "1", "--oneline").ok().out().contains(" two"));
    }

    /** The other ways to move a branch, as git's: branch -f (not the current one), branch -m/-M. */
    @Test
    void branchForceAndRename() throws Exception {
        cli.run("branch", "-f", "exp", "HEAD~1").ok();
        assertTrue(cli.run("log", "--oneline", "-n", "1", "exp").ok().out().contains(" one"));
        cli.run("branch", "-f", "exp").ok();
        assertTrue(cli.run("log", "--oneline", "-n", "1", "exp").ok().out().contains(" two"));
        Cli.Result refused = cli.run("branch", "-f", "main", "HEAD~1");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("use coral reset"), refused.err());

        cli.run("branch", "-m", "trunk").ok();
        assertEquals("  exp\n* trunk", cli.run("branch").ok().out().stripTrailing());
        assertEquals(1, cli.run("branch", "-m", "trunk", "exp").code(), "exp exists");
        cli.run("branch", "-M", "exp", "old").ok();
        assertEquals("  old\n* trunk", cli.run("branch").ok().out().stripTrailing());
        assertEquals(2, cli.run("branch", "-m").code());
        assertEquals(2, cli.run("branch", "-d", "-m", "old").code());
        cli.run("branch", "-d", "-f", "old").ok();
        assertEquals("* trunk", cli.run("branch").ok().out().stripTrailing());
        assertArrayEquals(second, DemoCommand.sha256(model), "no file moves");
    }

    @Test
    void tagForceMovesATag() throws Exception {
        cli.run("tag", "v1", "HEAD~1").ok();
        Cli.Result exists = cli.run("tag", "v1");
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("v1"), exists.err());
        String was = cli.run("log", "--oneline", "-n", "1", "v1").ok().out().substring(0, 7);
        String out = cli.run("tag", "-f", "v1").ok().out();
        assertEquals("Updated tag 'v1' (was " + was + ")", out.strip());
        assertTrue(cli.run("log", "--oneline", "-n", "1", "v1").ok().out().contains(" two"));
        cli.run("tag", "-f", "-m", "best", "v1", "HEAD~1").ok();
        assertTrue(cli.run("log", "--oneline", "-n", "1", "v1").ok().out().contains(" one"));
        assertTrue(cli.run("tag", "-f", "v2").ok().out().isEmpty(), "a new tag: nothing replaced");
        assertEquals(2, cli.run("tag", "-f").code());
        assertEquals(2, cli.run("tag", "-d", "-f", "v1").code());
        assertEquals("v1\nv2", cli.run("tag").ok().out().strip());
    }

    /** A tag and a branch of one name (found by fuzzing against git): log decorates each commit with its own ref; reset takes the tag, as git's. */
    @Test
    void aTagAndABranchOfOneName() throws Exception {
        cli.run("tag", "feat", "HEAD~1").ok();
        cli.run("branch", "feat").ok();
        List<String> log = cli.run("log", "--oneline").ok().out().lines().toList();
        assertTrue(log.get(0).contains("feat") && !log.get(0).contains("tag: feat") && log.get(0).endsWith(" two"), log.toString());
        assertTrue(log.get(1).contains("(tag: feat)") && log.get(1).endsWith(" one"), log.toString());
        cli.run("reset", "--hard", "feat").ok();
        assertArrayEquals(first, DemoCommand.sha256(model), "the tag's commit");
    }

    /** As git's "warning: refname 'feat' is ambiguous.": every command that takes the name as a revision says so, and which it took. */
    @Test
    void anAmbiguousNameIsWarnedOf() throws Exception {
        cli.run("tag", "feat", "HEAD~1").ok();
        cli.run("branch", "feat").ok();
        String warning = "coral: warning: refname 'feat' is ambiguous: a branch and a tag; the tag is taken "
                + "(refs/heads/feat or refs/tags/feat says which)";
        for (String[] command : List.of(new String[] {"log", "feat"}, new String[] {"log", "feat~0"}, new String[] {"show", "feat"},
                new String[] {"diff", "feat", "HEAD"}, new String[] {"branch", "other", "feat~0"}, new String[] {"tag", "v9", "feat"},
                new String[] {"export", "feat:model.safetensors", "-o", "out.safetensors"}, new String[] {"reset", "feat"})) {
            assertEquals(warning, cli.run(command).ok().err().strip(), String.join(" ", command));
        }
        for (String[] command : List.of(new String[] {"log"}, new String[] {"log", "refs/heads/feat"}, new String[] {"show", "refs/tags/feat"},
                new String[] {"log", "v9"})) {
            assertEquals("", cli.run(command).ok().err(), String.join(" ", command));
        }
        Cli.Result start = cli.run("branch", "y", "feat"); // as git's: a new branch's start must not be such a name
        assertEquals(1, start.code());
        assertTrue(start.err().contains("coral: ambiguous object name: 'feat' is both a branch and a tag"), start.err());
        Cli.Result checkout = cli.run("checkout", "--force", "feat").ok(); // forced: reset left the working file changed
        assertEquals("coral: warning: refname 'feat' is ambiguous: a branch and a tag; checkout takes the branch "
                + "(refs/heads/feat or refs/tags/feat says which)", checkout.err().strip());
        assertEquals("feat", cli.run("status", "--json").ok().out().replaceAll("(?s).*\"branch\": *\"([^\"]*)\".*", "$1"));
    }

    /**
     * As git's: {@code restore --source NAME} and {@code checkout NAME -- PATH} take the branch of a
     * name that is both, where {@code NAME~0} (a revision) takes the tag (found by the git
     * differential fuzz, seed 800028: Coral's restore took the tag).
     */
    @Test
    void restoreAndCheckoutOfPathsTakeTheBranchOfAnAmbiguousName() throws Exception {
        cli.run("tag", "feat", "HEAD~1").ok();
        cli.run("branch", "feat").ok();
        byte[] branchVersion = DemoCommand.sha256(model);
        cli.run("checkout", "HEAD~1", "--", "model.safetensors").ok();
        byte[] tagVersion = DemoCommand.sha256(model);
        assertFalse(java.util.Arrays.equals(branchVersion, tagVersion));

        Cli.Result restore = cli.run("restore", "--source", "feat", "--", "model.safetensors").ok();
        assertArrayEquals(branchVersion, DemoCommand.sha256(model), "restore --source feat: the branch");
        assertTrue(restore.err().contains("restore takes the branch"), restore.err());
        cli.run("restore", "--source", "feat~0", "--", "model.safetensors").ok();
        assertArrayEquals(tagVersion, DemoCommand.sha256(model), "feat~0: the tag, as a revision");
        cli.run("checkout", "feat", "--", "model.safetensors").ok();
        assertArrayEquals(branchVersion, DemoCommand.sha256(model), "checkout feat -- PATH: the branch");
        cli.run("restore", "--staged", "--worktree", "--source", "refs/tags/feat", "--", "model.safetensors").ok();
        assertArrayEquals(tagVersion, DemoCommand.sha256(model));
    }

    @Test
    void quietPrintsNothing() throws Exception {
        assertEquals("", cli.run("reset", "-q", "--hard", "HEAD~1").ok().out());
        assertEquals("", cli.run("reset", "-q", "ORIG_HEAD").ok().out());
    }
}
