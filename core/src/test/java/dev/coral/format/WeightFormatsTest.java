package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightFormatsTest {
    @Test
    void byExtensionCaseInsensitive() {
        assertEquals("safetensors", WeightFormats.forPath(Path.of("a/model.SafeTensors")).orElseThrow().name());
        assertEquals("npy", WeightFormats.forPath(Path.of("x.NPY")).orElseThrow().name());
        assertEquals("npz", WeightFormats.forPath(Path.of("dir.d/x.npz")).orElseThrow().name());
        assertEquals("hdf5", WeightFormats.forPath(Path.of("model.weights.H5")).orElseThrow().name());
        assertEquals("hdf5", WeightFormats.forPath(Path.of("x.hdf5")).orElseThrow().name());
        assertEquals("keras", WeightFormats.forPath(Path.of("m.KERAS")).orElseThrow().name());
        assertTrue(WeightFormats.forPath(Path.of("x.pt")).isEmpty());
        assertTrue(WeightFormats.forPath(Path.of("npy")).isEmpty());
        assertTrue(WeightFormats.forPath(Path.of("x.npy.txt")).isEmpty());
        assertTrue(WeightFormats.forPath(Path.of("/")).isEmpty());
    }

    @Test
    void byNameAndAll() {
        assertEquals(List.of("safetensors", "npy", "npz", "hdf5", "keras"), WeightFormats.all().stream().map(WeightFileFormat::name).toList());
        for (WeightFileFormat f : WeightFormats.all()) {
            assertEquals(f, WeightFormats.byName(f.name()).orElseThrow());
            for (String ext : f.extensions()) {
                assertEquals(f, WeightFormats.forPath(Path.of("f." + ext)).orElseThrow());
            }
        }
        assertEquals("hdf5", WeightFormats.byName("HDF5").orElseThrow().name());
        assertTrue(WeightFormats.byName("h5").isEmpty());
    }
}
