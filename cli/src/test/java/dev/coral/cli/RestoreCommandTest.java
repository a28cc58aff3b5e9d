package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * status tells how to unstage with {@code restore --staged}, and following it unstages. It
 * used to suggest {@code rm --cached}, which stages the file's removal: the next commit
 * dropped the model from the branch.
 */
class RestoreCommandTest {
    @TempDir
    Path dir;

    @Test
    void followingStatusHintsUnstagesAndDiscards() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        byte[] committed = commitModel(cli, model);
        Cli.writeModel(model, 2, "layer0");
        byte[] edited = DemoCommand.sha256(model);
        cli.run("add", "model.safetensors").ok();

        String status = cli.run("status").ok().out();
        assertTrue(status.contains("(use \"coral restore --staged <file>...\" to unstage)"), status);
        cli.run("restore", "--staged", "model.safetensors").ok();
        status = cli.run("status").ok().out();
        assertTrue(!status.contains("Changes to be committed") && status.contains("modified:   model.safetensors"), status);
        assertTrue(status.contains("(use \"coral restore <file>...\" to discard changes in the working folder)"), status);
        assertArrayEquals(edited, DemoCommand.sha256(model), "the working file kept");
        Cli.Result nothing = cli.run("commit", "-m", "two");
        assertEquals(1, nothing.code(), nothing.err());

        cli.run("restore", "model.safetensors").ok();
        assertArrayEquals(committed, DemoCommand.sha256(model), "discarded: HEAD's version back");
        assertTrue(cli.run("status").ok().out().contains("nothing to commit"), "clean");
    }

    @Test
    void anUnknownPathIsAOneLineError() throws Exception {
        Cli cli = new Cli(dir);
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "layer0");
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "model.safetensors").ok();
        Cli.Result r = cli.run("restore", "-S", "other.npy");
        assertEquals(1, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("other.npy: matches no file tracked"), r.err());
    }

    /**
     * As git's: {@code checkout PATH} and {@code checkout -- PATH}, where PATH is no revision,
     * restore the file from the index (found by fuzzing: refused as an unknown revision). A name
     * that is neither is still an unknown revision; a branch of that name is still a branch.
     */
    @Test
    void checkoutOfAPathRestoresItFromTheIndex() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        byte[] committed = commitModel(cli, model);
        for (String[] args : new String[][] {{"checkout", "--", "model.safetensors"}, {"checkout", "model.safetensors"}}) {
            Cli.writeModel(model, 2, "layer0");
            Cli.Result r = cli.run(args).ok();
            assertEquals("Updated 1 path from the index", r.out().strip(), String.join(" ", args));
            assertArrayEquals(committed, DemoCommand.sha256(model), String.join(" ", args));
        }
        Cli.Result unknown = cli.run("checkout", "nothing.npy");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown revision 'nothing.npy'") && unknown.errLines().size() == 1, unknown.err());
        Cli.Result untracked = cli.run("checkout", "--", "nothing.npy"); // a path: said as restore says it
        assertEquals(1, untracked.code());
        assertTrue(untracked.err().contains("nothing.npy") && !untracked.err().contains("revision") && untracked.errLines().size() == 1,
                untracked.err());
        cli.run("branch", "model.safetensors").ok();
        Cli.writeModel(model, 3, "layer0");
        assertEquals("Updated 1 path from the index", cli.run("checkout", "--", "model.safetensors").ok().out().strip(),
                "after --, a path even where a branch has its name");
        assertArrayEquals(committed, DemoCommand.sha256(model));
        assertTrue(cli.run("status").ok().out().startsWith("On branch main"), "HEAD stays on main");
        assertTrue(cli.run("checkout", "model.safetensors").ok().out().contains("Switched to branch 'model.safetensors'"));
    }

    /** A new repository in {@code dir} with one commit of {@code model}; returns the model's SHA-256 as committed. */
    private static byte[] commitModel(Cli cli, Path model) throws Exception {
        Cli.writeModel(model, 1, "layer0");
        byte[] committed = DemoCommand.sha256(model);
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "model.safetensors").ok();
        return committed;
    }
}
