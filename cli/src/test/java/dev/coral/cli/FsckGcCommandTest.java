package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral fsck} and {@code coral gc}: text, {@code --json}, exit codes, help, errors. */
class FsckGcCommandTest {
    @TempDir
    Path dir;

    /** main: v1, v2; branch exp with an extra file, deleted. */
    private Cli history() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init", "--chunk-size", "1024").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "w", "b");
        cli.run("add", "model.safetensors").ok();
        cli.run("commit", "-m", "v1").ok();
        cli.run("switch", "-c", "exp").ok();
        Cli.writeModel(dir.resolve("extra.safetensors"), 2, "x");
        cli.run("add", "extra.safetensors").ok();
        cli.run("commit", "-m", "extra").ok();
        cli.run("switch", "main").ok();
        Cli.Result refused = cli.run("branch", "-d", "exp");
        assertEquals(1, refused.code(), "not merged: -d refuses");
        assertTrue(refused.err().contains("branch 'exp' is not merged") && refused.err().contains("-D"), refused.err());
        cli.run("branch", "-D", "exp").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 3, "w", "b");
        cli.run("add", "model.safetensors").ok();
        cli.run("commit", "-m", "v2").ok();
        return cli;
    }

    private static String listing(Path root) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.walk(root.resolve(".coral"))) {
            for (Path p : s.sorted().toList()) {
                if (Files.isRegularFile(p) && !p.toString().contains("/locks/")) {
                    sb.append(root.relativize(p)).append(' ').append(Files.size(p)).append('\n');
                }
            }
        }
        return sb.toString();
    }

    @Test
    void fsckOfAHealthyRepositoryExitsZero() throws IOException {
        Cli.Result r = history().run("fsck").ok();
        assertTrue(r.out().matches("(?s)checked \\d+ packs \\(\\d+ objects\\), \\d+ reachable objects in 2 commits, \\d+ chunks decoded: no problems\\n"),
                r.out());
        assertEquals("", r.err());
    }

    @Test
    void fsckNamesDamageAndExitsOne() throws IOException {
        Cli cli = history();
        Path head = dir.resolve(".coral/refs/heads/main");
        byte[] b = Files.readAllBytes(head);
        b[b.length - 10] ^= 0x40;
        Files.write(head, b);
        Cli.Result r = cli.run("fsck");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().startsWith("refs/heads/main: checksum mismatch"), r.out());
        assertTrue(r.out().contains(": 1 problem\n"), r.out());

        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) StatsCommandTest.MiniJson.parse(cli.run("fsck", "--json").out());
        assertEquals(false, m.get("clean"));
        Map<?, ?> problem = (Map<?, ?>) ((List<?>) m.get("problems")).get(0);
        assertEquals("refs/heads/main", problem.get("file"));
    }

    @Test
    void fsckJsonOfAHealthyRepository() throws IOException {
        Cli cli = history();
        Files.write(dir.resolve(".coral/packs/.tmp-incoming.pack-x"), new byte[3]);
        Cli.Result r = cli.run("fsck", "--json").ok();
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) StatsCommandTest.MiniJson.parse(r.out());
        assertEquals(true, m.get("clean"));
        assertEquals(List.of(), m.get("problems"));
        assertEquals(1, ((List<?>) m.get("warnings")).size());
        assertEquals(2L, m.get("commits"));
    }

    @Test
    void gcDryRunListsAndChangesNothingThenGcRemoves() throws IOException {
        Cli cli = history();
        String before = listing(dir);
        Cli.Result dry = cli.run("gc", "--dry-run", "--prune=now").ok();
        assertEquals(before, listing(dir));
        assertTrue(dry.out().contains("would remove packs/pack-"), dry.out());
        assertTrue(dry.out().contains("would remove 2 packs ("), dry.out());

        Cli.Result young = cli.run("gc").ok();
        assertTrue(young.out().contains("removed 0 packs"), young.out());
        assertTrue(young.out().contains("younger than 2 weeks"), young.out());

        Cli.Result gc = cli.run("gc", "--prune=now").ok();
        assertTrue(gc.out().contains("removed 2 packs ("), gc.out());
        assertFalse(listing(dir).equals(before));
        cli.run("fsck").ok();
        cli.run("checkout", "HEAD~1").ok();
    }

    @Test
    void statusListsWhatAKilledCheckoutLeftAndGcRemovesIt() throws IOException {
        Cli cli = history();
        Files.createDirectories(dir.resolve("sub"));
        Path left = dir.resolve("sub/.tmp-model.safetensors-" + java.util.UUID.randomUUID());
        Files.write(left, new byte[2048]);
        Files.setLastModifiedTime(left, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Cli.Result status = Cli.runRaw("-C", dir.resolve("sub").toString(), "status").ok();
        assertTrue(status.out().contains("Temporary files a killed checkout, merge or export left:\n"
                + "  (\"coral gc\" removes them; so does the next checkout of their file)\n\t" + left.getFileName() + " (2.05 kB)\n"), status.out());
        assertTrue(status.out().endsWith("nothing to commit, working tree clean\n"), status.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) StatsCommandTest.MiniJson.parse(cli.run("status", "--json").out());
        assertEquals(List.of("sub/" + left.getFileName()), json.get("leftovers"));

        Cli.Result dry = cli.run("gc", "--dry-run").ok();
        assertTrue(dry.out().contains("would remove sub/" + left.getFileName() + " in the working folder (left by a killed checkout, "
                + "merge or export, 2.05 kB)\n"), dry.out());
        assertTrue(Files.exists(left));
        Cli.Result gc = cli.run("gc").ok();
        assertTrue(gc.out().contains("removed sub/" + left.getFileName() + " in the working folder"), gc.out());
        assertTrue(gc.out().contains(" and 1 leftover (2.05 kB)"), gc.out());
        assertFalse(Files.exists(left));
        assertFalse(cli.run("status").ok().out().contains("Temporary files"));
    }

    /** A pack no older than gc's start (a commit beside it) is kept even with --prune=now, and said so without contradiction. */
    @Test
    void gcPruneNowSaysWhyItKeptAPackAsYoung() throws IOException {
        Cli cli = history();
        try (var s = Files.list(dir.resolve(".coral/packs"))) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".idx")).toList()) { // gc dates a pack by its index
                Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 3_600_000));
            }
        }
        Cli.Result gc = cli.run("gc", "--prune=now").ok();
        assertTrue(gc.out().contains(" written as gc began (by commits beside it)"), gc.out());
        assertFalse(gc.out().contains("keeps none"), gc.out());
    }

    @Test
    void badPruneIsAUsageError() throws IOException {
        Cli.Result r = history().run("gc", "--prune=soon");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("coral: --prune=soon: not a duration"), r.err());
    }

    @Test
    void help() {
        Cli.Result fsck = Cli.runRaw("fsck", "--help");
        assertEquals(0, fsck.code());
        assertTrue(fsck.out().startsWith("Usage: coral fsck"), fsck.out());
        assertTrue(fsck.out().contains("--rebuild-index") && fsck.out().contains("--json"), fsck.out());
        Cli.Result gc = Cli.runRaw("gc", "--help");
        assertEquals(0, gc.code());
        assertTrue(gc.out().startsWith("Usage: coral gc"), gc.out());
        assertTrue(gc.out().contains("--dry-run") && gc.out().contains("--prune=DURATION"), gc.out());
    }

    @Test
    void outsideARepositoryExitsOneWithOneLine() {
        for (String cmd : List.of("fsck", "gc")) {
            Cli.Result r = new Cli(dir).run(cmd);
            assertEquals(1, r.code(), cmd);
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: ") && r.err().contains("not a Coral repository"), r.err());
            assertEquals("", r.out());
        }
    }
}
