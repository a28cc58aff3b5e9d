package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral status} shows paths relative to the folder it runs in, as git does, so that they
 * can be given to the next command there; {@code --json} keeps them relative to the root.
 */
class StatusPathsTest {
    @TempDir
    Path dir;

    @Test
    void pathsAreRelativeToTheWorkingFolder() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Path sub = Files.createDirectories(dir.resolve("models/run1"));
        Cli.writeModel(sub.resolve("a.safetensors"), 1, "w");
        Cli.writeModel(sub.resolve("b.safetensors"), 2, "w");
        Cli.writeModel(dir.resolve("top.safetensors"), 3, "w");
        Cli inSub = new Cli(sub);
        Cli inModels = new Cli(dir.resolve("models"));

        String untracked = inSub.run("status").ok().out();
        assertTrue(untracked.contains("\ta.safetensors\n"), untracked);
        assertTrue(untracked.contains("\t../../top.safetensors\n"), untracked);
        assertTrue(inModels.run("status").ok().out().contains("\trun1/b.safetensors\n"));
        assertTrue(cli.run("status").ok().out().contains("\tmodels/run1/a.safetensors\n"));

        // what status shows in a folder is what add takes there
        inSub.run("add", "a.safetensors", "../../top.safetensors").ok();
        inSub.run("commit", "-m", "two").ok();
        Cli.writeModel(sub.resolve("a.safetensors"), 4, "w");
        inSub.run("add", "b.safetensors").ok();
        String mixed = inSub.run("status").ok().out();
        assertTrue(mixed.contains("\tnew file:   b.safetensors\n"), mixed);
        assertTrue(mixed.contains("\tmodified:   a.safetensors\n"), mixed);
        assertFalse(mixed.contains("models/run1"), mixed);

        String json = inSub.run("status", "--json").ok().out();
        assertTrue(json.contains("\"models/run1/a.safetensors\""), json);
        assertTrue(json.contains("\"models/run1/b.safetensors\""), json);
        assertEquals(0, new Cli(dir).run("status").code());
    }

    /**
     * {@code status --json}'s "clean" is what the text calls a clean working tree: it said true
     * beside untracked weight files, where the text says "untracked weight files present" (found by
     * fuzzing).
     */
    @Test
    void jsonCleanIsFalseBesideUntrackedFiles() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("a.safetensors"), 1, "w");
        cli.run("commit", "-m", "a", "a.safetensors").ok();
        assertTrue(cli.run("status", "--json").ok().out().contains("\"clean\": true"));
        Cli.writeModel(dir.resolve("u.safetensors"), 2, "w");
        String json = cli.run("status", "--json").ok().out();
        assertTrue(json.contains("\"clean\": false") && json.contains("\"u.safetensors\""), json);
        assertTrue(cli.run("status").ok().out().contains("untracked weight files present"));
        Files.delete(dir.resolve("u.safetensors"));
        Cli.writeModel(dir.resolve("a.safetensors"), 3, "w");
        assertTrue(cli.run("status", "--json").ok().out().contains("\"clean\": false"), "a change not staged");
    }

    /**
     * A backslash is a name's own character on Linux and a folder separator on Windows: a file
     * named {@code a\b.safetensors} was staged as {@code a/b.safetensors} (then shown deleted, and
     * checked out as a folder), and {@code add .} failed naming a file that does not exist (found by
     * fuzzing). Now add and commit refuse it naming the file, the other files untouched, and status
     * lists it apart.
     */
    @Test
    void aBackslashInAFileNameIsRefusedNamingIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.io.File.separatorChar == '/', "a backslash is a separator here");
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("a\\b.safetensors"), 1, "w");
        Cli.writeModel(dir.resolve("ok.safetensors"), 2, "w");
        for (String[] args : new String[][] {{"add", "a\\b.safetensors"}, {"add", "."}, {"commit", "-m", "x", "a\\b.safetensors"}}) {
            Cli.Result r = cli.run(args);
            assertTrue(r.code() != 0, String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains("a\\b.safetensors: a backslash in a file or folder name cannot be stored"), r.err());
            assertEquals(1, r.err().strip().split("\n").length, r.err());
        }
        String status = cli.run("status").ok().out(); // listed apart, where it failed naming the file
        assertTrue(status.contains("Weight files Coral cannot store") && status.contains("\ta\\b.safetensors\n")
                && status.contains("\tok.safetensors\n"), status);
        String json = cli.run("status", "--json").ok().out();
        assertTrue(json.contains("\"unstorable\": [") && json.contains("\"a\\\\b.safetensors\""), json);
        cli.run("add", "ok.safetensors").ok();
        cli.run("commit", "-m", "ok").ok();
        String tree = cli.run("show", "--json", "HEAD").ok().out();
        assertTrue(tree.contains("ok.safetensors") && !tree.contains("a/b"), tree);
    }
}
