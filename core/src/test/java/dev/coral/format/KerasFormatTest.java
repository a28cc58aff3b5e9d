package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keras 3's {@code .keras} files: the tensors of the zip's {@code model.weights.h5} member are
 * those of the same HDF5 as a file of its own, each read at its place in the zip; the file comes
 * back byte for byte (the zip's headers and CRCs, the JSON members and the assets in the
 * skeleton); what is not such a file is one line naming it. The file h5py and zipfile wrote as
 * Keras does is in {@code testdata/} ({@link TestdataInteropTest}).
 */
class KerasFormatTest {
    private static final KerasFormat KERAS = new KerasFormat();
    private static final Hdf5Format H5 = new Hdf5Format();
    private static final String TESTDATA = "keras3_mlp.keras";

    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return LongStream.range(0, 40).boxed();
    }

    /** A zip of {@code members} (name to bytes, in order), each stored, or deflated where named in {@code deflated}. */
    static byte[] zip(Map<String, byte[]> members, String deflated) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> m : members.entrySet()) {
                ZipEntry e = new ZipEntry(m.getKey());
                e.setTime(0);
                if (!m.getKey().equals(deflated)) {
                    CRC32 crc = new CRC32();
                    crc.update(m.getValue());
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(m.getValue().length);
                    e.setCompressedSize(m.getValue().length);
                    e.setCrc(crc.getValue());
                }
                z.putNextEntry(e);
                z.write(m.getValue());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A .keras file as Keras writes it: metadata, config, the weights, and now and then an asset after them. */
    static byte[] kerasFile(byte[] weights, Random r) throws Exception {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("metadata.json", "{\"keras_version\": \"3.6.0\"}".getBytes(StandardCharsets.UTF_8));
        members.put("config.json", "{\"class_name\": \"Sequential\"}".getBytes(StandardCharsets.UTF_8));
        members.put(KerasFormat.WEIGHTS, weights);
        if (r.nextBoolean()) {
            byte[] asset = new byte[r.nextInt(300)];
            r.nextBytes(asset);
            members.put("assets/vocabulary.txt", asset);
        }
        return zip(members, null);
    }

    /**
     * Random models (every dtype HDF5 export holds, random bits) as the weights of a .keras file:
     * read, they are the tensors of the same HDF5 read as a file of its own, bit for bit; the
     * file restores byte for byte, through the format and through its placement of the tensors.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void theWeightsMembersTensorsReadAsTheHdf5sAndTheFileRestoresByteForByte(long seed) throws Exception {
        Random r = new Random(seed);
        byte[] weights = Hdf5FormatTest.write(Hdf5FormatTest.randomModel(r), Map.of());
        Path h5 = dir.resolve("w" + seed + ".h5");
        Files.write(h5, weights);
        byte[] file = kerasFile(weights, r);
        Path keras = dir.resolve("m" + seed + ".keras");
        Files.write(keras, file);
        String at = "seed " + seed;
        try (ParsedWeightFile asH5 = H5.read(h5); ParsedWeightFile parsed = KERAS.read(keras)) {
            assertEquals(asH5.tensors().size(), parsed.tensors().size(), at);
            for (int i = 0; i < parsed.tensors().size(); i++) {
                TensorSource want = asH5.tensors().get(i);
                TensorSource got = parsed.tensors().get(i);
                assertEquals(want.name(), got.name(), at);
                assertEquals(want.spec(), got.spec(), at + " " + got.name());
                assertArrayEquals(TestTensors.readAll(want), TestTensors.readAll(got), at + " " + got.name());
            }
            assertArrayEquals(file, TestTensors.restore(KERAS, parsed), at + ": restore must give the file back byte for byte");
            Optional<TensorPlacement> placement = KERAS.placement(parsed.restoreInfo(), parsed.tensors());
            assertTrue(placement.isPresent(), at + ": Coral's HDF5 is little-endian");
            ByteArrayOutputStream placed = new ByteArrayOutputStream();
            placement.get().write(parsed.tensors(), placed, at);
            assertArrayEquals(file, placed.toByteArray(), at + ": placed");
        }
    }

    @Test
    void whatIsNoKerasFileIsRefusedInOneLineNamingTheFile() throws Exception {
        Random r = new Random(5);
        byte[] weights = Hdf5FormatTest.write(Hdf5FormatTest.randomModel(r), Map.of());
        Map<String, byte[]> noWeights = new LinkedHashMap<>();
        noWeights.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));
        noWeights.put("model.weights.npz", new byte[40]);
        assertRefused("nonpz.keras", zip(noWeights, null), "no model.weights.h5 member");
        Map<String, byte[]> deflated = new LinkedHashMap<>();
        deflated.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));
        deflated.put(KerasFormat.WEIGHTS, weights);
        assertRefused("deflated.keras", zip(deflated, KerasFormat.WEIGHTS), "is compressed");
        Map<String, byte[]> garbage = new LinkedHashMap<>();
        garbage.put(KerasFormat.WEIGHTS, "not HDF5 at all".repeat(30).getBytes(StandardCharsets.UTF_8));
        assertRefused("garbage.keras", zip(garbage, null), "not a readable HDF5 file");
        assertRefused("empty.keras", new byte[0], ".keras");
        assertRefused("text.keras", "a text file, not a zip\n".repeat(10).getBytes(StandardCharsets.UTF_8), "not a valid zip");
        assertRefused("h5.keras", weights, "not a valid zip");
    }

    @Test
    void exportToKerasIsRefusedSayingWhatToExportTo() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> KERAS.write(List.of(), Map.of(), new ByteArrayOutputStream()));
        assertTrue(e.getMessage().startsWith("keras export: ") && e.getMessage().contains("safetensors"), e.getMessage());
    }

    /** Cut anywhere, the testdata file is refused naming it, or (a cut jhdf and the zip do not notice) restored as it is. */
    @Test
    void truncatedFilesAreRefusedNamingTheFile() throws Exception {
        byte[] whole = Files.readAllBytes(TestdataInteropTest.testdata().resolve(TESTDATA));
        Random r = new Random(17);
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 30, whole.length / 2, whole.length - 22, whole.length - 1));
        IntStream.range(0, 10).forEach(i -> cuts.add(r.nextInt(whole.length)));
        for (int cut : cuts) {
            byte[] part = Arrays.copyOf(whole, cut);
            Path p = dir.resolve("cut" + cut + ".keras");
            Files.write(p, part);
            try (ParsedWeightFile parsed = KERAS.read(p)) {
                assertArrayEquals(part, TestTensors.restore(KERAS, parsed), "cut at " + cut);
            } catch (BadInputException e) {
                assertTrue(e.getMessage().contains(p.getFileName().toString()) && !e.getMessage().contains("\n"), e.getMessage());
            }
        }
    }

    /**
     * Any byte of the testdata file changed at random: refused in one line naming the file, or
     * read and given back byte for byte (a change in the JSON members, the zip's times, the
     * HDF5's free space or a tensor's data). No other exception, no hang.
     */
    @Test
    @Timeout(120)
    void aFileWithRandomBytesChangedIsRefusedOrRestoredAsItIs() throws Exception {
        byte[] whole = Files.readAllBytes(TestdataInteropTest.testdata().resolve(TESTDATA));
        int rounds = TestTensors.damageRounds(150);
        int refused = TestTensors.damagedCopiesRefusedOrRestored(KERAS, whole, 41, rounds, dir.resolve("damaged.keras"));
        System.out.println(TESTDATA + ": " + refused + " of " + rounds + " damaged files refused, the others restored as they were");
    }

    private void assertRefused(String name, byte[] bytes, String says) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        BadInputException e = assertThrows(BadInputException.class, () -> KERAS.read(p).close(), name);
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains(says) && !e.getMessage().contains("\n"),
                name + ": " + e.getMessage());
    }
}
