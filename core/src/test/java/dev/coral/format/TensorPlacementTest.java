package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightFileFormat#placement}: where a format places the tensors, the bytes between them
 * and the tensors' bytes as parsed, each at its offset, are the file byte for byte (a checkout
 * writes it so, each chunk at its place); it offers none exactly where its restore does more (npy
 * and HDF5 data stored big-endian and swapped back, npz of deflated members). Over every file numpy
 * and h5py wrote into {@code testdata/}, and over {@link TensorPlacement} itself.
 */
class TensorPlacementTest {
    @Test
    void theBytesBetweenAndTheTensorsAsStoredAreTheFileWhereverAPlacementIsOffered() throws IOException {
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
                    Optional<TensorPlacement> placement = fmt.get().placement(parsed.restoreInfo(), tensors);
                    String name = f.getFileName().toString();
                    boolean swapped = (name.contains("_be_") && !name.endsWith("_i1.npy") && !name.endsWith("_u1.npy"))
                            || name.equals("h5_dtypes.h5") // datasets of both byte orders
                            || name.equals("npz_stored.npz"); // a big-endian member among little-endian ones
                    boolean chunked = name.startsWith("h5_chunked") || name.equals("h5_mixed_layouts.h5"); // chunks rebuilt, at no place
                    boolean expectPlacement = !name.startsWith("npz_deflated") && !swapped && !chunked; // a deflated member's data is at no place
                    assertEquals(expectPlacement, placement.isPresent(), name);
                    if (placement.isEmpty()) {
                        declined++;
                        continue;
                    }
                    offered++;
                    byte[] file = Files.readAllBytes(f);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    placement.get().write(tensors, b, name);
                    assertArrayEquals(file, b.toByteArray(), name);
                    for (int i = 0; i < tensors.size(); i++) {
                        try (InputStream in = tensors.get(i).openStream()) {
                            int at = (int) placement.get().offset(i);
                            byte[] data = in.readAllBytes();
                            assertArrayEquals(Arrays.copyOfRange(file, at, at + data.length), data, name + " tensor " + i);
                        }
                    }
                }
            }
        }
        assertTrue(offered >= 24 && declined >= 6, offered + " offered, " + declined + " declined: testdata/ is missing files");
    }

    /** Seeded random placements: the bytes between and the tensors' bytes, written, are each where the placement says. */
    @RepeatedTest(40)
    void randomPlacementsWriteEveryByteAtItsPlace(RepetitionInfo rep) throws IOException {
        long seed = 4100 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int n = r.nextInt(6);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        ByteArrayOutputStream between = new ByteArrayOutputStream();
        long[] offsets = new long[n];
        long[] lengths = new long[n];
        List<TensorSource> tensors = new java.util.ArrayList<>();
        for (int i = 0; i <= n; i++) {
            byte[] gap = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(40)];
            r.nextBytes(gap);
            file.writeBytes(gap);
            between.writeBytes(gap);
            if (i == n) {
                break;
            }
            byte[] data = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(64)];
            r.nextBytes(data);
            offsets[i] = file.size();
            lengths[i] = data.length;
            file.writeBytes(data);
            tensors.add(new TestTensors.Mem("t" + i, TensorSpec.of(DType.U8, data.length), data));
        }
        TensorPlacement p = new TensorPlacement(between.toByteArray(), offsets, lengths);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        p.write(tensors, written, "seed " + seed);
        assertArrayEquals(file.toByteArray(), written.toByteArray(), "seed " + seed);
    }

    @Test
    void overlappingOrUnorderedTensorsOrTensorsPastTheFileAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TensorPlacement(new byte[4], new long[] {2, 1}, new long[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new TensorPlacement(new byte[4], new long[] {2, 3}, new long[] {2, 1}));
        assertThrows(IllegalArgumentException.class, () -> new TensorPlacement(new byte[4], new long[] {5}, new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new TensorPlacement(new byte[4], new long[] {0}, new long[] {-1}));
    }
}
