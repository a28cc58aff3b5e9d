package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral diff}: which tensors changed between revisions, the staging index and the working files, and by how much. */
class DiffCommandTest {
    @TempDir
    Path dir;
    Cli cli;

    @BeforeEach
    void init() {
        cli = new Cli(dir);
        cli.run("init").ok();
    }

    private static TensorSource f32(String name, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return Tensors.of(name, TensorSpec.of(DType.F32, v.length), b.flip());
    }

    private static TensorSource bf16(String name, int n) {
        return Tensors.of(name, TensorSpec.of(DType.BF16, n), new byte[2 * n]);
    }

    private void write(String file, Map<String, String> metadata, TensorSource... tensors) throws Exception {
        try (OutputStream out = Files.newOutputStream(dir.resolve(file))) {
            dev.coral.format.WeightFormats.byName("safetensors").orElseThrow().write(List.of(tensors), metadata, out);
        }
    }

    private void write(String file, TensorSource... tensors) throws Exception {
        write(file, Map.of(), tensors);
    }

    private void commit(String message, String... files) {
        String[] add = new String[files.length + 1];
        add[0] = "add";
        System.arraycopy(files, 0, add, 1, files.length);
        cli.run(add).ok();
        cli.run("commit", "-m", message).ok();
    }

    @Test
    void twoRevisionsTensorByTensor() throws Exception {
        write("m.safetensors", f32("w", 1, 2, 3, 4), f32("b", 1, 1), f32("e", 0.5f, 0.5f), f32("u", 7, 8));
        commit("one", "m.safetensors");
        write("m.safetensors", f32("w", 1, 2.5f, 3, 2), f32("e", 0.5f, 0.5f, 0.5f), f32("u", 7, 8), f32("n", 9));
        write("m.safetensors", f32("w", 1, 2.5f, 3, 2), Tensors.of("e", TensorSpec.of(DType.F32, 3), new byte[12]), f32("u", 7, 8),
                f32("n", 9), bf16("r", 2));
        commit("two", "m.safetensors");

        String out = cli.run("diff", "HEAD~1", "HEAD").ok().out();
        List<String> lines = out.lines().toList();
        assertEquals("modified: m.safetensors", lines.get(0), out);
        assertTrue(lines.get(1).matches("  modified  w  F32 \\[4\\]             2 of 4 changed  max\\|d\\| 2\\.00  L2 2\\.06  rel 0\\.376  cos 0\\.9[0-9]+"),
                lines.get(1));
        assertEquals("  reshaped  e  F32 [2] -> F32 [3]", lines.get(2));
        assertEquals("  added     n  F32 [1]", lines.get(3), "the dtype and shape column as wide as the widest");
        assertEquals("  added     r  BF16 [2]", lines.get(4));
        assertEquals("  removed   b  F32 [2]", lines.get(5));
        assertEquals("  (1 tensor unchanged)", lines.get(6));
        assertEquals(7, lines.size(), out);

        String json = cli.run("diff", "--json", "HEAD~1", "HEAD").ok().out();
        assertTrue(json.contains("\"changed\": 2,"), json);
        assertTrue(json.contains("\"maxAbsDiff\": 2.0,"), json);
        assertTrue(json.contains("\"l2Diff\": " + Math.sqrt(0.25 + 4) + ","), json);
        double cos = (1 + 5 + 9 + 8) / Math.sqrt(30) / Math.sqrt(1 + 6.25 + 9 + 4);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"cosine\": ([0-9.E-]+)").matcher(json);
        assertTrue(m.find(), json);
        assertEquals(cos, Double.parseDouble(m.group(1)), 1e-12);
        assertTrue(json.contains("\"status\": \"removed\""), json);
        // the unchanged tensor is stored under one id on both sides: not read, so no figures
        int u = json.indexOf("\"name\": \"u\"");
        assertTrue(json.substring(u, json.indexOf('}', json.indexOf("\"to\"", u)) + 3).contains("\"status\": \"unchanged\""));
        assertFalse(json.substring(u).contains("\"elements\""), "u was not read: " + json.substring(u));

        assertEquals("", cli.run("diff", "HEAD", "HEAD").ok().out());
        assertEquals(1, cli.run("diff", "--exit-code", "HEAD~1", "HEAD").code());
        assertEquals(0, cli.run("diff", "--exit-code", "HEAD", "HEAD").code());
    }

    @Test
    void workingFilesStagedFilesAndPaths() throws Exception {
        write("a.safetensors", f32("w", 1, 2));
        write("b.safetensors", f32("w", 3, 4));
        commit("one", "a.safetensors", "b.safetensors");
        assertEquals("", cli.run("diff").ok().out(), "nothing changed");

        write("a.safetensors", f32("w", 1, 3));
        String notStaged = cli.run("diff").ok().out();
        assertTrue(notStaged.startsWith("modified: a.safetensors\n  modified  w  F32 [2]  1 of 2 changed  max|d| 1.00"), notStaged);
        assertEquals(notStaged, cli.run("diff", "HEAD").ok().out(), "HEAD against the working files");
        assertEquals("", cli.run("diff", "--staged").ok().out(), "nothing staged");
        cli.run("add", "a.safetensors").ok();
        assertEquals("", cli.run("diff").ok().out(), "staged now");
        assertEquals(notStaged, cli.run("diff", "--cached").ok().out());
        assertEquals(notStaged, cli.run("diff", "HEAD").ok().out());

        Files.delete(dir.resolve("b.safetensors"));
        write("c.safetensors", f32("x", 1));
        String both = cli.run("diff", "HEAD").ok().out();
        assertTrue(both.contains("deleted: b.safetensors (1 tensor)"), both);
        assertFalse(both.contains("c.safetensors"), "untracked files are left out, as by git diff: " + both);
        assertEquals("deleted: b.safetensors (1 tensor)\n", cli.run("diff", "--", "b.safetensors").ok().out(), "a path alone");
        assertEquals(2, cli.run("diff", "b.safetensors").code(), "as git: a path not in the working tree needs --");
        assertEquals(notStaged, cli.run("diff", "HEAD", "a.safetensors").ok().out(), "a path in the working tree needs no --");
        assertEquals(notStaged, cli.run("diff", "HEAD", "--", "a.safetensors").ok().out());
        cli.run("add", "c.safetensors").ok();
        assertEquals("added: c.safetensors (1 tensor)\n", cli.run("diff", "--staged", "--", "c.safetensors").ok().out());

        Cli.Result bad = cli.run("diff", "nosuch");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'nosuch': unknown revision or path not in the working tree"), bad.err());
        assertEquals(2, cli.run("diff", "--staged", "HEAD", "HEAD").code());
    }

    @Test
    void aFileWhoseTensorsAreTheSameDiffersElsewhere() throws Exception {
        write("m.safetensors", Map.of("step", "1"), f32("w", 1, 2));
        commit("one", "m.safetensors");
        write("m.safetensors", Map.of("step", "2"), f32("w", 1, 2));
        assertEquals("modified: m.safetensors (its tensors are unchanged; other bytes of the file differ)\n", cli.run("diff").ok().out());
    }

    @Test
    void beforeTheFirstCommitEverythingStagedIsAdded() throws Exception {
        write("m.safetensors", f32("w", 1, 2), f32("b", 3));
        cli.run("add", "m.safetensors").ok();
        assertEquals("added: m.safetensors (2 tensors)\n", cli.run("diff", "--staged").ok().out());
    }

    @Test
    void aDamagedWorkingFileIsAOneLineError() throws Exception {
        write("m.safetensors", f32("w", 1, 2));
        commit("one", "m.safetensors");
        Files.write(dir.resolve("m.safetensors"), new byte[] {9, 0, 0, 0, 0, 0, 0, 0, '{'});
        Cli.Result r = cli.run("diff");
        assertTrue(r.code() != 0);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("m.safetensors"), r.err());
    }

    /** An npy file as numpy writes it: version 1.0, the header padded to 64 bytes, then the data. */
    private void npy(String file, boolean fortran, float... v) throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (2, 3), }";
        StringBuilder h = new StringBuilder(dict);
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length()).put(h.toString().getBytes());
        for (float f : v) {
            b.putFloat(f);
        }
        Files.write(dir.resolve(file), b.array());
    }

    /** np.save of a transposed array writes Fortran order: the same values in another element order are not a change (fuzzing). */
    @Test
    void fortranAndCOrderAreComparedElementForElement() throws Exception {
        npy("a.npy", false, 0, 1, 2, 3, 4, 5);
        commit("c order", "a.npy");
        npy("a.npy", true, 0, 3, 1, 4, 2, 5); // [[0,1,2],[3,4,5]] column by column
        assertEquals("modified: a.npy (its tensors are unchanged; other bytes of the file differ)\n", cli.run("diff").ok().out());
        npy("a.npy", true, 0, 3, 1, 4, 2, 6);
        assertTrue(cli.run("diff").ok().out().contains("1 of 6 changed  max|d| 1.00"), "only [1][2] changed");
        commit("fortran order", "a.npy");
        assertTrue(cli.run("diff", "HEAD~1", "HEAD").ok().out().contains("1 of 6 changed  max|d| 1.00"));
    }

    /** status counts the file a lossy commit stored as committed; diff shows what the quantization changed (fuzzing). */
    @Test
    void afterALossyCommitTheWorkingFileIsRead() throws Exception {
        write("m.safetensors", f32("w", 1, 2, 3, 4));
        commit("one", "m.safetensors");
        write("m.safetensors", f32("w", 1.0004f, 2.0004f, 3.0004f, 4.0004f));
        cli.run("commit", "-a", "--lossy=1e-3", "-m", "lossy").ok();
        assertTrue(cli.run("status").ok().out().contains("working tree clean"));
        String out = cli.run("diff", "HEAD").ok().out();
        assertTrue(out.startsWith("modified: m.safetensors\n  modified  w  F32 [4]  4 of 4 changed  max|d| "), out);
        assertEquals("m.safetensors\n", cli.run("diff", "--name-only", "HEAD").ok().out());

        Files.delete(dir.resolve("m.safetensors"));
        cli.run("restore", "m.safetensors").ok(); // the stored, quantized values written back
        assertEquals("", cli.run("diff", "HEAD").ok().out(), "the working file holds what the lossy commit stored");
        assertEquals("", cli.run("diff", "--name-only").ok().out());
    }

    /** A lossy version's working file counts as that version only against it: against another, any difference shows (fuzzing). */
    @Test
    void aLossyVersionsWorkingFileAgainstAnOlderOneWithTheSameTensors() throws Exception {
        write("m.safetensors", Map.of("step", "1"), Cli.f32("w", new java.util.SplittableRandom(0), 64));
        commit("one", "m.safetensors");
        write("m.safetensors", Map.of("step", "1"), Cli.f32("w", new java.util.SplittableRandom(1), 64));
        cli.run("commit", "-a", "-m", "two").ok();
        // one's tensors, other metadata: stored quantized against two's
        write("m.safetensors", Map.of("step", "2"), Cli.f32("w", new java.util.SplittableRandom(0), 64));
        assertTrue(cli.run("commit", "-a", "--lossy=1e-2", "-m", "three").ok().out().contains("\nlossy: "), "a lossy commit");
        assertEquals("modified: m.safetensors (its tensors are unchanged; other bytes of the file differ)\n",
                cli.run("diff", "HEAD~2").ok().out());
        assertEquals("M\tm.safetensors\n", cli.run("diff", "--name-status", "HEAD~2").ok().out());
        assertEquals(1, cli.run("diff", "--exit-code", "HEAD~2").code());
        assertEquals(2, cli.run("diff", "HEAD", "HEAD~1", "HEAD").code(), "three revisions");
        assertTrue(cli.run("diff", "HEAD", "HEAD~1", "HEAD").err().contains("at most two revisions"));
    }

    @Test
    void namesOnly() throws Exception {
        write("a.safetensors", f32("w", 1, 2));
        write("b.safetensors", f32("w", 3, 4));
        commit("one", "a.safetensors", "b.safetensors");
        write("a.safetensors", f32("w", 1, 3));
        Files.delete(dir.resolve("b.safetensors"));
        write("c.safetensors", f32("x", 1));
        cli.run("add", "c.safetensors").ok();
        assertEquals("M\ta.safetensors\nD\tb.safetensors\nA\tc.safetensors\n", cli.run("diff", "--name-status", "HEAD").ok().out());
        assertEquals("a.safetensors\nb.safetensors\n", cli.run("diff", "--name-only").ok().out());
        assertEquals("c.safetensors\n", cli.run("diff", "--name-only", "--staged").ok().out());
        Files.createDirectory(dir.resolve("sub"));
        assertEquals("../a.safetensors\n", Cli.runRaw("-C", dir.resolve("sub").toString(), "diff", "--name-only", "--", "../a.safetensors")
                .ok().out(), "paths relative to the working folder, as the text output's");
        assertEquals(2, cli.run("diff", "--name-only", "--name-status").code());
    }

    @Test
    void aTrackedSymbolicLinkIsFollowedAsAddFollowsIt() throws Exception {
        write("real.safetensors", f32("w", 1, 2));
        Files.createDirectory(dir.resolve("d"));
        Files.createSymbolicLink(dir.resolve("d/m.safetensors"), dir.resolve("real.safetensors"));
        commit("one", "d/m.safetensors");
        write("real.safetensors", f32("w", 1, 5));
        assertTrue(cli.run("diff", "--", "d").ok().out().startsWith("modified: d/m.safetensors\n  modified  w  F32 [2]  1 of 2 changed"));
    }

    /** As git: an argument that names both a revision and a working file needs --; a lone - is a path (fuzzing). */
    @Test
    void aRevisionThatIsAlsoAPathIsAmbiguous() throws Exception {
        write("b.safetensors", f32("w", 1));
        commit("one", "b.safetensors");
        cli.run("branch", "b.safetensors").ok();
        Cli.Result r = cli.run("diff", "b.safetensors");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'b.safetensors' is both a revision and a path"), r.err());
        assertEquals("", cli.run("diff", "--", "b.safetensors").ok().out());
        assertEquals(2, cli.run("diff", "HEAD", "-").code());
    }
}
