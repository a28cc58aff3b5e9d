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

    private static byte[] bytes(TensorSource t) throws Exception {
        try (InputStream in = t.openStream()) {
            return in.readAllBytes();
        }
    }
}
