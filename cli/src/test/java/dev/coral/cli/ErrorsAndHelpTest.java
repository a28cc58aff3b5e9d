package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Help, version, and every kind of failure: exit code and exactly one line on stderr. */
class ErrorsAndHelpTest {
    @TempDir
    Path dir;

    static List<String> subcommands() {
        Session s = new Session(new PrintStream(PrintStream.nullOutputStream()), new PrintStream(PrintStream.nullOutputStream()), false, false);
        return new ArrayList<>(CoralCommand.commandLine(s).getSubcommands().keySet());
    }

    @Test
    void everySubcommandHasHelpThatExitsZero() {
        List<String> names = subcommands();
        assertTrue(names.containsAll(List.of("init", "add", "rm", "status", "commit", "log", "show", "checkout",
                "switch", "branch", "tag", "export", "demo")), names.toString());
        for (String name : names) {
            Cli.Result r = Cli.runRaw(name, "--help");
            assertEquals(0, r.code(), name);
            assertTrue(r.out().startsWith("Usage: coral " + name), name + ": " + r.out());
            assertEquals("", r.err(), name);
        }
        Cli.Result root = Cli.runRaw("--help");
        assertEquals(0, root.code());
        assertTrue(root.out().contains("Commands:"));
    }

    /**
     * Help text is written in whole paragraphs, one per description line, and picocli wraps them
     * to the terminal: a sentence broken across two lines by hand came out as a full line, then a
     * few stray words on a line of their own. Only a list item broken before 80 columns may go on
     * on an indented line.
     */
    @Test
    void helpLinesAreWholeParagraphs() {
        Session s = new Session(new PrintStream(PrintStream.nullOutputStream()), new PrintStream(PrintStream.nullOutputStream()), false, false);
        List<String> broken = new ArrayList<>();
        CommandLine root = CoralCommand.commandLine(s);
        List<CommandLine> all = new ArrayList<>(root.getSubcommands().values());
        all.add(root);
        for (CommandLine c : all) {
            List<String> lines = new ArrayList<>(List.of(c.getCommandSpec().usageMessage().description()));
            c.getCommandSpec().options().forEach(o -> lines.addAll(List.of(o.description())));
            c.getCommandSpec().positionalParameters().forEach(p -> lines.addAll(List.of(p.description())));
            for (int i = 0; i < lines.size(); i++) { // a list item may go on, indented, on the next line
                String line = lines.get(i);
                boolean continued = i + 1 < lines.size() && lines.get(i + 1).startsWith("    ") && line.length() <= 80;
                if (!line.isBlank() && !line.strip().matches(".*[.:;!?)]") && !continued) {
                    broken.add(c.getCommandName() + ": " + line);
                }
            }
        }
        assertEquals(List.of(), broken, "description lines that stop mid-sentence");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Cli.Result r = Cli.runRaw("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)coral \\d+\\.\\d+\\.\\d+.*"), r.out());
    }

    @Test
    void usageErrorsExitTwoWithOneLine() throws IOException {
        new Cli(dir).run("init").ok();
        String[][] cases = {
            {"commit"},
            {"log", "-n", "many"},
            {"status", "--bogus"},
            {"frobnicate"},
            {},
            {"init", "elsewhere", "--chunk-size", "10"},
            {"init", "elsewhere", "--delta-depth", "30"},
            {"init", "elsewhere", "--delta-depth", "4", "--delta-run", "6"},
            {"commit", "-m", "x", "--metric", "loss=high"},
            {"--", "status"},
            {"--", "frobnicate"},
        };
        for (String[] args : cases) {
            Cli.Result r = new Cli(dir).run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: ") && r.err().strip().endsWith("--help)"), r.err());
        }
        Cli.Result commit = new Cli(dir).run("commit");
        assertTrue(commit.err().contains("(see coral commit --help)"), commit.err());
        // a command after '--' (the end of coral's own options): it was "'status' is not a coral command"
        Cli.Result dashes = new Cli(dir).run("--", "status");
        assertTrue(dashes.err().startsWith("coral: '--' must come after the command, not before it: coral status"), dashes.err());
        assertTrue(new Cli(dir).run("--", "frobnicate").err().startsWith("coral: 'frobnicate' is not a coral command"));
    }

    /** A repository in {@code dir} with one commit of m.safetensors. */
    private Cli committedOnce() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("m.safetensors"), 1, "w");
        cli.run("add", "m.safetensors").ok();
        cli.run("commit", "-m", "one").ok();
        return cli;
    }

    /**
     * An empty path argument is a usage error, as in git: it had been taken as the current folder,
     * so {@code coral rm "$UNSET"} removed every tracked file (found by fuzzing, 2026-12-03).
     */
    @Test
    void anEmptyPathIsAUsageErrorAndTouchesNothing() throws IOException {
        Cli cli = committedOnce();
        byte[] model = Files.readAllBytes(dir.resolve("m.safetensors"));
        Map<String, Long> before = listing(dir.resolve(".coral"));
        for (String[] args : new String[][] {{"rm", ""}, {"rm", "--cached", ""}, {"add", ""}, {"commit", "-m", "x", ""},
            {"restore", ""}, {"checkout", "HEAD", "--", ""}, {"export", "HEAD:m.safetensors", "-o", ""}}) {
            Cli.Result r = cli.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: empty path"), r.err());
        }
        assertArrayEquals(model, Files.readAllBytes(dir.resolve("m.safetensors")));
        assertEquals(before, listing(dir.resolve(".coral")));
        assertTrue(cli.run("status").ok().out().contains("nothing to commit"), cli.run("status").out());
    }

    @Test
    void unknownRevisionExitsOneNamingIt() throws IOException {
        Cli cli = committedOnce();
        for (String[] args : new String[][] {{"log", "nosuchrev"}, {"show", "nosuchrev"}, {"checkout", "nosuchrev"},
            {"export", "nosuchrev:m.safetensors", "-o", "x.npz"}}) {
            Cli.Result r = cli.run(args);
            assertEquals(1, r.code(), String.join(" ", args));
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: ") && r.err().contains("nosuchrev"), r.err());
        }
        Cli.Result before = cli.run("log", "HEAD~5");
        assertEquals(1, before.code());
        assertTrue(before.err().contains("HEAD~5"), before.err());
    }

    /**
     * Revisions and names longer than a file name may be (found by fuzzing, 2026-12-03): a
     * 65-character hex revision was an internal error, a long name "File name too long" naming a
     * file inside .coral; a 64-digit id of no object "is not a commit".
     */
    @Test
    void overlongRevisionsAndNamesAreOneLineNamingThem() throws IOException {
        Cli cli = committedOnce();
        String hex = "b".repeat(65);
        String word = "x".repeat(300);
        String missing = "c".repeat(64);
        for (String rev : List.of(hex, word, "refs/heads/" + word, missing, hex + "~1")) {
            for (String[] args : new String[][] {{"log", rev}, {"show", rev}, {"checkout", rev}}) {
                Cli.Result r = cli.run(args);
                assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
                assertEquals(1, r.errLines().size(), r.err());
                assertTrue(r.err().startsWith("coral: unknown revision '" + rev.substring(0, 20)), r.err());
            }
        }
        for (String cmd : List.of("branch", "tag")) {
            Cli.Result r = cli.run(cmd, word);
            assertEquals(1, r.code(), cmd + ": " + r.err());
            assertTrue(r.err().startsWith("coral: invalid " + cmd + " name") && r.err().contains("at most 200"), r.err());
        }
        assertEquals(1, cli.run("branch", "ok/" + word).code());
        cli.run("branch", "y".repeat(200)).ok();
        cli.run("log", "y".repeat(200)).ok();
    }

    /**
     * A checksummed file replaced by a folder: one line naming it, where java.io's "Is a directory"
     * named nothing (found by fuzzing, 2026-12-03).
     */
    @Test
    void aFileReplacedByAFolderIsNamed() throws IOException {
        Cli cli = committedOnce();
        for (String file : List.of("index", "refs/heads/main")) {
            Path p = dir.resolve(".coral").resolve(file);
            byte[] kept = Files.readAllBytes(p);
            Files.delete(p);
            Files.createDirectories(p.resolve("x"));
            Cli.Result r = cli.run("status");
            assertEquals(1, r.code(), file + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().contains(".coral/" + file + ": cannot be read: "), r.err());
            Files.delete(p.resolve("x"));
            Files.delete(p);
            Files.write(p, kept);
            cli.run("status").ok();
        }
    }

    /** A repository declaring a format feature this Coral does not know: every command that opens it exits 1 with one line naming the file. */
    @Test
    void aFormatFeatureFromANewerCoralExitsOneNamingIt() throws IOException {
        Cli cli = committedOnce();
        dev.coral.io.ChecksummedFile.write(dir.resolve(".coral").resolve("format"), "CORALFMT", 1,
                "predicted-deltas\nzigzag-deltas\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (String[] args : new String[][] {{"log"}, {"status"}, {"checkout", "HEAD"}, {"commit", "-a", "-m", "two"}, {"stats"}}) {
            Cli.Result r = cli.run(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: ") && r.err().contains(".coral/format") && r.err().contains("predicted-deltas")
                    && r.err().contains("newer Coral"), r.err());
        }
        Cli.Result fsck = cli.run("fsck");
        assertEquals(1, fsck.code(), fsck.out() + fsck.err());
        assertTrue((fsck.out() + fsck.err()).contains("predicted-deltas"), fsck.out() + fsck.err());
    }

    /** {@code -C} names a folder, as in git: a file was taken as the folder holding it, a missing one created by init. */
    @Test
    void minusCOfAFileOrOfNothingIsAUsageError() throws IOException {
        Cli.writeModel(dir.resolve("a.safetensors"), 1, "w");
        new Cli(dir).run("init").ok();
        for (String[] c : new String[][] {{"a.safetensors", "not a folder"}, {"nothing", "no such folder"}}) {
            for (String cmd : List.of("status", "init")) {
                Cli.Result r = Cli.runRaw("-C", dir.resolve(c[0]).toString(), cmd);
                assertEquals(2, r.code(), cmd + " -C " + c[0] + ": " + r.err());
                assertEquals(1, r.errLines().size(), r.err());
                assertTrue(r.err().contains("-C " + dir.resolve(c[0]) + ": " + c[1]), r.err());
            }
        }
        assertFalse(Files.exists(dir.resolve("nothing")), "nothing created");
    }

    @Test
    void outsideARepositoryExitsOne() {
        for (String cmd : List.of("status", "log", "add", "branch")) {
            Cli.Result r = cmd.equals("add") ? new Cli(dir).run(cmd, "x.safetensors") : new Cli(dir).run(cmd);
            assertEquals(1, r.code(), cmd);
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("coral: ") && r.err().contains("not a Coral repository"), r.err());
        }
    }

    @Test
    void truncatedSafetensorsIsRefusedAndLeavesCoralUnchanged() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Path good = dir.resolve("good.safetensors");
        Cli.writeModel(good, 1, "w");
        cli.run("add", "good.safetensors").ok();
        cli.run("commit", "-m", "one").ok();
        Path bad = dir.resolve("bad.safetensors");
        Cli.writeModel(bad, 2, "a", "b");
        byte[] bytes = Files.readAllBytes(bad);
        Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        Map<String, Long> before = listing(dir.resolve(".coral"));

        Cli.Result r = cli.run("add", "bad.safetensors");
        assertEquals(1, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("coral: ") && r.err().contains("bad.safetensors"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals(before, listing(dir.resolve(".coral")));
    }

    @Test
    void addOfAGoodAndATruncatedFileStagesNothing() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("models/a.safetensors"), 1, "w");
        Path bad = dir.resolve("models/b.safetensors");
        Cli.writeModel(bad, 2, "w");
        Files.write(bad, java.util.Arrays.copyOf(Files.readAllBytes(bad), 40));
        Cli.Result r = cli.run("add", "models");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("b.safetensors"), r.err());
        assertFalse(cli.run("status").ok().out().contains("Changes to be committed"));
    }

    @Test
    void notAWeightFileAndMissingFileExitOne() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Files.writeString(dir.resolve("notes.txt"), "hello");
        Cli.Result txt = cli.run("add", "notes.txt");
        assertEquals(1, txt.code());
        assertTrue(txt.err().contains("notes.txt"), txt.err());
        Cli.Result missing = cli.run("add", "nope.safetensors");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());
        Cli.Result again = cli.run("init");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already"), again.err());
    }

    /** A pipe or a link to a device or to nothing, named like a weight file: one line saying so, not "no such file". */
    @Test
    void aPipeOrALinkToNoFileIsNotARegularFile() throws IOException, InterruptedException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Files.createSymbolicLink(dir.resolve("zero.npy"), Path.of("/dev/zero"));
        Files.createSymbolicLink(dir.resolve("loop.npy"), Path.of("loop.npy"));
        List<String> names = new ArrayList<>(List.of("zero.npy", "loop.npy"));
        if (new ProcessBuilder("mkfifo", dir.resolve("pipe.npy").toString()).start().waitFor() == 0) {
            names.add("pipe.npy");
        } else {
            System.err.println("LOUD: mkfifo failed; the pipe case of aPipeOrALinkToNoFileIsNotARegularFile is not run");
        }
        for (String name : names) {
            for (String[] args : new String[][] {{"add", name}, {"commit", "-m", "x", name}}) {
                Cli.Result r = cli.run(args);
                assertEquals(1, r.code(), String.join(" ", args));
                assertEquals(1, r.errLines().size(), r.err());
                assertTrue(r.err().contains(name) && r.err().contains("not a regular file"), r.err());
            }
        }
    }

    private static Map<String, Long> listing(Path root) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                m.put(root.relativize(p).toString(), Files.isRegularFile(p) ? Files.size(p) : -1L);
            }
        }
        return m;
    }

    @Test
    void initWritesTheChainLayoutAskedFor() throws IOException {
        new Cli(dir).run("init", "a", "--delta-depth", "5", "--delta-run", "1").ok();
        new Cli(dir).run("init", "b").ok();
        dev.coral.repo.RepositoryConfig a = dev.coral.repo.RepositoryConfig.read(dir.resolve("a/.coral/config"));
        dev.coral.repo.RepositoryConfig b = dev.coral.repo.RepositoryConfig.read(dir.resolve("b/.coral/config"));
        assertEquals(dev.coral.store.ChainShape.skipDelta(5), a.chainShape());
        assertEquals(dev.coral.repo.RepositoryConfig.defaults().chainShape(), b.chainShape());
    }
}
