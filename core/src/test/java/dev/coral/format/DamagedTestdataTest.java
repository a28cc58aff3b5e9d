package dev.coral.format;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bundled .npy, .npz and .safetensors file that numpy or the safetensors layout wrote, with
 * 1-4 bytes changed at random (seeded by the file's name, printed on failure): refused in one line
 * naming the file, or read and restored byte for byte as it is (the deflated npz: as the same
 * tensors, as NpzFormat restores such a file). No other exception, no hang. The
 * HDF5 and .keras files have the same test in {@link Hdf5FormatTest} and {@link KerasFormatTest}.
 */
class DamagedTestdataTest {
    @TempDir
    Path dir;

    static Stream<String> files() throws Exception {
        try (Stream<Path> all = Files.list(TestdataInteropTest.testdata())) {
            List<String> names = all.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".npy") || n.endsWith(".npz") || n.endsWith(".safetensors"))
                    .sorted().toList();
            if (names.size() < 25) {
                throw new AssertionError("expected the bundled npy, npz and safetensors files in " + TestdataInteropTest.testdata()
                        + ", found " + names);
            }
            return names.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    @Timeout(60)
    void aBundledFileWithRandomBytesChangedIsRefusedOrRestoredAsItIs(String name) throws Exception {
        Path original = TestdataInteropTest.testdata().resolve(name);
        WeightFileFormat format = WeightFormats.forPath(original).orElseThrow();
        byte[] whole = Files.readAllBytes(original);
        int rounds = TestTensors.damageRounds(200);
        // npz with deflated members: byte for byte where Coral rebuilds every stream, else value-identical (NpzFormat)
        boolean byteExact = !name.startsWith("npz_deflated");
        int refused = TestTensors.damagedCopiesRefusedOrRestored(format, whole, name.hashCode(), rounds, dir.resolve("damaged-" + name),
                byteExact);
        System.out.println(name + ": " + refused + " of " + rounds + " damaged copies refused, the others restored as they were");
    }
}
