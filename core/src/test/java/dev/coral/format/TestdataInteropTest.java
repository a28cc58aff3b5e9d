package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads every file numpy (and a hand-written Python safetensors writer) and h5py produced in
 * {@code testdata/} and checks it against {@code expected.json} and {@code expected_hdf5.json},
 * written by the same scripts.
 */
class TestdataInteropTest {
    static Path testdata() {
        return Path.of(System.getProperty("coral.testdata", "../testdata"));
    }

    /** expected.json (numpy's files) and expected_hdf5.json (h5py's: make_hdf5_testdata.py) as one manifest. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> expected() throws IOException, Json.SyntaxException {
        Map<String, Object> all = new java.util.TreeMap<>();
        for (String manifest : List.of("expected.json", "expected_hdf5.json")) {
            String text = Files.readString(testdata().resolve(manifest), StandardCharsets.UTF_8);
            all.putAll((Map<String, Object>) Json.parse(text));
        }
        return all;
    }

    static Stream<String> files() throws Exception {
        return expected().keySet().stream().sorted();
    }

    @Test
    void manifestCoversEveryDataFileAndEveryFormat() throws Exception {
        Map<String, Object> exp = expected();
        List<String> onDisk = new ArrayList<>();
        try (Stream<Path> s = Files.list(testdata())) {
            s.map(p -> p.getFileName().toString()).filter(n -> WeightFormats.forPath(Path.of(n)).isPresent()).forEach(onDisk::add);
        }
        assertEquals(exp.keySet().stream().sorted().toList(), onDisk.stream().sorted().toList());
        for (WeightFileFormat f : WeightFormats.all()) {
            assertTrue(exp.values().stream().anyMatch(v -> f.name().equals(((Map<?, ?>) v).get("format"))), f.name());
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    @SuppressWarnings("unchecked")
    void fileMatchesManifest(String name) throws Exception {
        Map<String, Object> exp = (Map<String, Object>) expected().get(name);
        Path file = testdata().resolve(name);
        byte[] whole = Files.readAllBytes(file);
        assertEquals(exp.get("sha256"), TestTensors.sha256(whole), name + " changed on disk");
        WeightFileFormat format = WeightFormats.forPath(file).orElseThrow();
        assertEquals(exp.get("format"), format.name());
        try (ParsedWeightFile parsed = format.read(file)) {
            assertEquals(exp.get("metadata"), parsed.metadata(), name);
            List<Object> tensors = (List<Object>) exp.get("tensors");
            assertEquals(tensors.size(), parsed.tensors().size(), name);
            for (int i = 0; i < tensors.size(); i++) {
                Map<String, Object> t = (Map<String, Object>) tensors.get(i);
                TensorSource got = parsed.tensors().get(i);
                String at = name + " tensor " + t.get("name");
                assertEquals(t.get("name"), got.name(), at);
                assertEquals(DType.fromCoralName((String) t.get("dtype")), got.spec().dtype(), at);
                long[] dims = ((List<Object>) t.get("shape")).stream().mapToLong(o -> ((BigInteger) o).longValueExact()).toArray();
                assertEquals(dev.coral.tensor.Shape.of(dims), got.spec().shape(), at);
                assertEquals(t.get("fortran"), got.spec().fortranOrder(), at);
                assertEquals(t.get("sha256"), TestTensors.sha256(TestTensors.readAll(got)), at);
            }
            byte[] restored = TestTensors.restore(format, parsed);
            // numpy's np.savez and np.savez_compressed come back byte for byte; members deflated at level 0 value-identical
            assertEquals(!name.equals("npz_deflated_level0.npz"), format.restoresBytes(parsed.restoreInfo()), name);
            if (format.restoresBytes(parsed.restoreInfo())) {
                assertEquals(exp.get("sha256"), TestTensors.sha256(restored), name + " restore must be byte-identical");
            } else {
                Path back = Files.createTempFile("coral-restore", ".npz");
                try {
                    Files.write(back, restored);
                    try (ParsedWeightFile again = format.read(back)) {
                        assertEquals(parsed.tensors().size(), again.tensors().size());
                        // the same members (Coral's own zip, whose deflated members it rebuilds: version 3 read again)
                        assertTrue(java.util.Arrays.equals(format.forOtherValues(parsed.restoreInfo()), format.forOtherValues(again.restoreInfo())),
                                name + " restore info");
                        assertTrue(format.restoresBytes(again.restoreInfo()), name + ": Coral's own zip is restored byte for byte");
                        for (int i = 0; i < parsed.tensors().size(); i++) {
                            assertEquals(TestTensors.sha256(TestTensors.readAll(parsed.tensors().get(i))),
                                    TestTensors.sha256(TestTensors.readAll(again.tensors().get(i))), name);
                        }
                    }
                } finally {
                    Files.delete(back);
                }
            }
        }
    }
}
