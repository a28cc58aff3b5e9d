package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightFileFormat#headBeforeTensors}: where a format offers a head, that head followed by
 * the tensors' bytes as parsed is the file byte for byte (a checkout writes it so, each chunk at
 * its place); it offers none exactly where its restore does more (npy stored big-endian and
 * swapped back, npz, HDF5 with metadata between its datasets). Over every file numpy and h5py wrote
 * into {@code testdata/}.
 */
class HeadBeforeTensorsTest {
    @Test
    void aHeadAndTheTensorsAsStoredAreTheFileWhereverAHeadIsOffered() throws IOException {
        int offered = 0;
        int declined = 0;
        try (Stream<Path> files = Files.list(TestdataInteropTest.testdata())) {
            for (Path f : files.sorted().toList()) {
                Optional<WeightFileFormat> fmt = WeightFormats.forPath(f);
                if (fmt.isEmpty()) {
                    continue;
                }
                try (ParsedWeightFile parsed = fmt.get().read(f)) {
                    List<TensorSource> tensors = parsed.tensors();
                    Optional<byte[]> head = fmt.get().headBeforeTensors(parsed.restoreInfo(), tensors);
                    String name = f.getFileName().toString();
                    boolean swapped = name.contains("_be_") && !name.endsWith("_i1.npy") && !name.endsWith("_u1.npy");
                    boolean expectHead = !name.endsWith(".npz") && !name.endsWith(".h5") && !swapped; // HDF5: metadata between tensors
                    assertEquals(expectHead, head.isPresent(), name);
                    if (head.isEmpty()) {
                        declined++;
                        continue;
                    }
                    offered++;
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    b.write(head.get());
                    for (TensorSource t : tensors) {
                        try (InputStream in = t.openStream()) {
                            in.transferTo(b);
                        }
                    }
                    assertArrayEquals(Files.readAllBytes(f), b.toByteArray(), name);
                }
            }
        }
        assertTrue(offered >= 20 && declined >= 5, offered + " offered, " + declined + " declined: testdata/ is missing files");
    }
}
