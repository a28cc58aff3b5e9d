package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a fuzzing run of the working folder found (2026-12-04): links to folders outside the
 * repository written and deleted through, '@' names read as argument files, a parent folder
 * replaced by a file failing rm with the OS's words, names too long for a checkout's temporary
 * file, and a nested repository's files taken by the outer one.
 */
class WorkTreeTricksTest {
    @TempDir
    Path tmp;

    private Path repo;
    private Path outside;
    private Cli cli;

    private void init() throws Exception {
        repo = Files.createDirectories(tmp.resolve("repo"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        cli = new Cli(repo);
        cli.run("init").ok();
    }

    @Test
    void aFolderReplacedByALinkToAFolderOutsideIsNeverWrittenNorDeletedThrough() throws Exception {
        init();
        Cli.writeModel(repo.resolve("sub/x.safetensors"), 1, "w");
        cli.run("commit", "-m", "v1", "sub").ok();
        Cli.writeModel(repo.resolve("sub/x.safetensors"), 2, "w");
        cli.run("commit", "-m", "v2", "sub").ok();
        deleteTree(repo.resolve("sub"));
        Files.createSymbolicLink(repo.resolve("sub"), outside);
        Cli.writeModel(outside.resolve("x.safetensors"), 99, "w");
        byte[] users = Files.readAllBytes(outside.resolve("x.safetensors"));

        for (String[] args : new String[][] {{"checkout", "HEAD~1"}, {"checkout", "-f", "HEAD~1"}, {"restore", "sub/x.safetensors"}}) {
            Cli.Result r = cli.run(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().contains("through sub, a symbolic link"), r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertArrayEquals(users, Files.readAllBytes(outside.resolve("x.safetensors")), "the outside file is the user's");
        }
        String status = cli.run("status").ok().out();
        assertTrue(status.contains("deleted:    sub/x.safetensors"), "a file beyond a link is not there: " + status);

        Cli.Result add = cli.run("add", "sub/x.safetensors");
        assertEquals(1, add.code());
        assertTrue(add.err().contains("beyond a symbolic link, sub"), add.err());

        cli.run("rm", "sub/x.safetensors").ok(); // the removal is staged; nothing is deleted through the link
        assertArrayEquals(users, Files.readAllBytes(outside.resolve("x.safetensors")));
        assertTrue(Files.isSymbolicLink(repo.resolve("sub")));
        cli.run("fsck").ok();
    }

    @Test
    void anAtSignNamesAFileNotAFileOfArguments() throws Exception {
        init();
        Cli.writeModel(repo.resolve("@x.safetensors"), 1, "w");
        Cli.writeModel(repo.resolve("x.safetensors"), 2, "w");
        Files.writeString(repo.resolve("keep"), "x.safetensors\n");
        cli.run("commit", "-m", "v1", "--", "@x.safetensors", "x.safetensors").ok();
        Cli.Result r = cli.run("rm", "-f", "--", "@keep");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("@keep: not tracked"), r.err());
        assertTrue(Files.exists(repo.resolve("x.safetensors")), "the file named inside '@keep' stays");
        cli.run("rm", "--", "@x.safetensors").ok();
        assertFalse(Files.exists(repo.resolve("@x.safetensors")));
        assertTrue(Files.exists(repo.resolve("x.safetensors")));
    }

    @Test
    void rmOfAFileWhoseFolderBecameAFileStagesItsRemoval() throws Exception {
        init();
        Cli.writeModel(repo.resolve("d/x.safetensors"), 1, "w");
        cli.run("commit", "-m", "v1", "d").ok();
        deleteTree(repo.resolve("d"));
        Files.writeString(repo.resolve("d"), "the user's notes");
        cli.run("rm", "d/x.safetensors").ok();
        assertEquals("the user's notes", Files.readString(repo.resolve("d")));
        assertTrue(cli.run("status").ok().out().contains("deleted:    d/x.safetensors"));
    }

    @Test
    void aFileWithTheLongestNameChecksOut() throws Exception {
        init();
        String name = "z".repeat(255 - ".safetensors".length()) + ".safetensors"; // 255 bytes, NAME_MAX
        String wide = "\u00e9".repeat(100) + ".safetensors"; // 212 bytes of UTF-8 in 112 characters
        Cli.writeModel(repo.resolve(name), 1, "w");
        Cli.writeModel(repo.resolve(wide), 1, "w");
        Cli.writeModel(repo.resolve("a.safetensors"), 1, "w");
        cli.run("commit", "-m", "v1", ".").ok();
        byte[] v1 = Files.readAllBytes(repo.resolve(name));
        Cli.writeModel(repo.resolve(name), 2, "w");
        Cli.writeModel(repo.resolve(wide), 2, "w");
        cli.run("commit", "-a", "-m", "v2").ok();
        cli.run("checkout", "HEAD~1").ok();
        assertArrayEquals(v1, Files.readAllBytes(repo.resolve(name)));
        assertArrayEquals(v1, Files.readAllBytes(repo.resolve(wide)));
        try (Stream<Path> s = Files.list(repo)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count(), "no temporary file left");
        }
    }

    @Test
    void aNestedRepositoryIsLeftToItself() throws Exception {
        init();
        Cli.writeModel(repo.resolve("a.safetensors"), 1, "w");
        Path inner = Files.createDirectories(repo.resolve("inner"));
        Cli in = new Cli(inner);
        in.run("init").ok();
        Cli.writeModel(inner.resolve("i.safetensors"), 4, "w");
        in.run("commit", "-m", "inner", "i.safetensors").ok();
        cli.run("add", ".").ok();
        String json = cli.run("status", "--json").ok().out();
        assertTrue(json.contains("\"a.safetensors\""), json);
        assertFalse(json.contains("inner/"), "add . passes over the nested repository: " + json);
        Cli.Result r = cli.run("add", "inner/i.safetensors");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("inside inner, a repository of its own"), r.err());
    }

    @Test
    void aBranchTrackingAFileAndOneTrackingAFolderOfThatNameSwitchBothWays() throws Exception {
        init();
        Cli.writeModel(repo.resolve("m.safetensors/y.safetensors"), 1, "w");
        Cli.writeModel(repo.resolve("deep/e/z.safetensors"), 2, "w");
        cli.run("commit", "-m", "folders", ".").ok();
        byte[] y = Files.readAllBytes(repo.resolve("m.safetensors/y.safetensors"));
        cli.run("switch", "-c", "side").ok();
        cli.run("rm", "m.safetensors/y.safetensors", "deep/e/z.safetensors").ok();
        assertFalse(Files.exists(repo.resolve("deep")), "rm leaves no empty folder behind");
        cli.run("commit", "-m", "removed").ok();
        Cli.writeModel(repo.resolve("m.safetensors"), 3, "w");
        cli.run("commit", "-m", "a file", "m.safetensors").ok();
        byte[] m = Files.readAllBytes(repo.resolve("m.safetensors"));

        cli.run("switch", "main").ok(); // file -> folder
        assertArrayEquals(y, Files.readAllBytes(repo.resolve("m.safetensors/y.safetensors")));
        cli.run("switch", "side").ok(); // folder -> file
        assertArrayEquals(m, Files.readAllBytes(repo.resolve("m.safetensors")));
        assertFalse(Files.exists(repo.resolve("deep")), "the checkout removed the folders its deletions emptied");

        cli.run("switch", "main").ok();
        Files.writeString(repo.resolve("m.safetensors/notes.txt"), "the user's");
        Cli.Result r = cli.run("switch", "side"); // a folder holding a file of the user's does not make way
        assertEquals(1, r.code());
        assertTrue(r.err().contains("where a folder is"), r.err());
        assertEquals("the user's", Files.readString(repo.resolve("m.safetensors/notes.txt")));
        assertTrue(Files.exists(repo.resolve("m.safetensors/y.safetensors")), "refused before deleting anything");
        cli.run("fsck").ok();
    }

    /** A top-level name of a letter and ':' reads as a Windows drive: refused at add, where it was committed and then wedged status, checkout and rm. */
    @Test
    void aNameThatReadsAsADriveIsRefusedAtAddAndListedApart() throws Exception {
        init();
        Cli.writeModel(repo.resolve("a:b.safetensors"), 1, "w");
        Cli.writeModel(repo.resolve("sub/a:b.safetensors"), 2, "w");
        Cli.Result r = cli.run("add", "a:b.safetensors");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("reads it as a drive"), r.err());
        Cli.Result all = cli.run("add", ".");
        assertEquals(1, all.code(), "refused naming it, as a name with a backslash is");
        assertTrue(all.err().contains("a:b.safetensors"), all.err());
        cli.run("add", "sub").ok();
        String json = cli.run("status", "--json").ok().out();
        assertTrue(json.contains("\"sub/a:b.safetensors\""), json);
        assertTrue(json.contains("\"unstorable\": [\n    \"a:b.safetensors\""), json);
        cli.run("commit", "-m", "v1").ok();
        cli.run("status").ok();
        cli.run("checkout", "HEAD").ok();
    }

    /** A name of bytes that are not UTF-8 reads with U+FFFD in their place: listed apart, and refused naming it. */
    @Test
    void aFileNameThatIsNotUtf8IsListedApart() throws Exception {
        init();
        Cli.writeModel(repo.resolve("ok.safetensors"), 1, "w");
        Process mk = new ProcessBuilder("python3", "-c", "import os, shutil; shutil.copy('ok.safetensors', b'bad\\xff.safetensors')")
                .directory(repo.toFile()).start();
        assertEquals(0, mk.waitFor(), "python3 makes the file (Java cannot name it)");
        String json = cli.run("status", "--json").ok().out();
        assertTrue(json.contains("\"unstorable\": [\n    \"bad\ufffd.safetensors\""), json);
        Cli.Result all = cli.run("add", ".");
        assertEquals(1, all.code());
        assertTrue(all.err().contains("not UTF-8"), all.err());
        cli.run("add", "ok.safetensors").ok();
        assertTrue(cli.run("status").ok().out().contains("a name that is not UTF-8"));
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
