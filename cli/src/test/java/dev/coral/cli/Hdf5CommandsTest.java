package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.Hdf5Format;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDF5 files on the command line: {@code add}, {@code status}, {@code show}, {@code checkout}
 * byte for byte, {@code export} to and from h5 (by extension and {@code --format hdf5}), and a
 * file that is no HDF5 refused in one line naming it, leaving the repository as it was.
 */
class Hdf5CommandsTest {
    @TempDir
    Path dir;

    @Test
    void anH5ModelIsAddedShownCheckedOutAndExported() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        SplittableRandom r = new SplittableRandom(5);
        Path model = dir.resolve("model.h5");
        Cli.write(model, "hdf5", List.of(Cli.f32("model_weights/dense/dense/kernel:0", r, 64, 32),
                Cli.f32("model_weights/dense/dense/bias:0", r, 32)));
        byte[] one = Files.readAllBytes(model);
        Cli.Result status = cli.run("status").ok();
        assertTrue(status.out().contains("model.h5"), status.out());
        cli.run("add", "model.h5").ok();
        cli.run("commit", "-m", "one").ok();
        Cli.write(model, "hdf5", List.of(Cli.f32("model_weights/dense/dense/kernel:0", r, 64, 32),
                Cli.f32("model_weights/dense/dense/bias:0", r, 32)));
        cli.run("commit", "-m", "two", "model.h5").ok();

        Cli.Result show = cli.run("show", "HEAD~1").ok();
        assertTrue(show.out().contains("model.h5  (hdf5, 2 tensors"), show.out());
        assertTrue(show.out().contains("model_weights/dense/dense/kernel:0"), show.out());

        cli.run("checkout", "HEAD~1").ok();
        assertArrayEquals(one, Files.readAllBytes(model), "checkout gives the h5 file back byte for byte");
        cli.run("export", "HEAD:model.h5", "-o", "out/same.h5").ok();
        assertArrayEquals(one, Files.readAllBytes(dir.resolve("out/same.h5")), "an export in its own format is the file");
        cli.run("export", "HEAD:model.h5", "-o", "out/m.safetensors").ok();
        cli.run("add", "out/m.safetensors").ok();
        cli.run("commit", "-m", "as safetensors").ok();
        cli.run("export", "HEAD:out/m.safetensors", "-o", "out/back", "--format", "hdf5").ok();
        try (ParsedWeightFile a = new Hdf5Format().read(model); ParsedWeightFile b = new Hdf5Format().read(dir.resolve("out/back"))) {
            assertEquals(a.tensors().size(), b.tensors().size());
            for (int i = 0; i < a.tensors().size(); i++) {
                assertEquals(a.tensors().get(i).name(), b.tensors().get(i).name());
                assertEquals(a.tensors().get(i).spec(), b.tensors().get(i).spec());
                assertArrayEquals(bytes(a.tensors().get(i)), bytes(b.tensors().get(i)), a.tensors().get(i).name());
            }
        }
    }

    @Test
    void aFileThatIsNoHdf5IsRefusedNamingItAndNothingIsStaged() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Files.writeString(dir.resolve("notes.h5"), "this is not an HDF5 file\n");
        Cli.Result add = cli.run("add", "notes.h5");
        assertEquals(1, add.code(), add.out());
        assertEquals(1, add.errLines().size(), add.err());
        assertTrue(add.err().contains("notes.h5") && add.err().contains("not a readable HDF5 file"), add.err());
        Cli.Result status = cli.run("status").ok();
        assertTrue(!status.out().contains("new file"), status.out());
    }

    /**
     * An h5 file with datasets kept as bytes (h5py's chunked, compressed, compact, string and
     * compound datasets in testdata) is staged with a note naming them on standard error, none
     * with {@code -q}; a file without any gets none.
     */
    @Test
    void datasetsKeptAsBytesAreNamedInANoteOnAdd() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Path testdata = Path.of("..", "testdata");
        Files.copy(testdata.resolve("h5_mixed_layouts.h5"), dir.resolve("mixed.h5"));
        Files.copy(testdata.resolve("h5_mixed_layouts.h5"), dir.resolve("quiet.h5"));
        Files.copy(testdata.resolve("h5_keras_like.h5"), dir.resolve("plain.h5"));
        Cli.Result add = cli.run("add", "mixed.h5", "plain.h5").ok();
        assertEquals(List.of("note: mixed.h5: kept as bytes with the file's layout (restored exactly, not deduplicated or"
                + " delta-encoded): compact, names, pairs"),
                add.errLines(), add.err());
        Cli.Result quiet = cli.run("add", "-q", "quiet.h5").ok();
        assertEquals("", quiet.err(), "-q: no note");
    }

    /**
     * A Keras 3 .keras file (testdata: h5py and zipfile as Keras writes it) is added, shown with
     * the weights' paths, checked out byte for byte and exported as committed or as h5; an export
     * of another file to .keras is refused in one line.
     */
    @Test
    void aKerasFileIsAddedShownCheckedOutAndExported() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Path model = dir.resolve("model.keras");
        Files.copy(Path.of("..", "testdata", "keras3_mlp.keras"), model);
        byte[] one = Files.readAllBytes(model);
        cli.run("add", "model.keras").ok();
        cli.run("commit", "-m", "one").ok();
        Cli.Result show = cli.run("show", "HEAD").ok();
        assertTrue(show.out().contains("model.keras  (keras, 11 tensors") && show.out().contains("layers/dense/vars/0"), show.out());
        assertTrue(show.out().matches("(?s).*layers/embedding/vars/0 +BF16 +\\[16,8\\].*"), "Keras' bfloat16 variable: " + show.out());
        Files.write(model, new byte[] {1, 2, 3});
        cli.run("checkout", "--force", "HEAD").ok();
        assertArrayEquals(one, Files.readAllBytes(model), "checkout gives the .keras file back byte for byte");
        cli.run("export", "HEAD:model.keras", "-o", "out/same.keras").ok();
        assertArrayEquals(one, Files.readAllBytes(dir.resolve("out/same.keras")));
        cli.run("export", "HEAD:model.keras", "-o", "out/w.h5").ok();
        try (ParsedWeightFile h5 = new Hdf5Format().read(dir.resolve("out/w.h5"))) {
            assertEquals(11, h5.tensors().size());
        }
        cli.run("export", "HEAD:model.keras", "-o", "out/w.safetensors").ok();
        cli.run("add", "out/w.safetensors").ok();
        cli.run("commit", "-m", "two").ok();
        Cli.Result refused = cli.run("export", "HEAD:out/w.safetensors", "-o", "out/x.keras");
        assertEquals(1, refused.code(), refused.out());
        assertEquals(1, refused.errLines().size(), refused.err());
        assertTrue(refused.err().contains("keras export") && refused.err().contains("safetensors"), refused.err());
        assertTrue(!Files.exists(dir.resolve("out/x.keras")), "nothing written");
    }

    private static byte[] bytes(TensorSource t) throws Exception {
        try (InputStream in = t.openStream()) {
            return in.readAllBytes();
        }
    }
}
