package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.ChecksummedFile;
import dev.coral.store.ChainShape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings round-trip; a config written before delta runs existed keeps the chains it was written with. */
class RepositoryConfigTest {
    @TempDir
    Path dir;

    @Test
    void settingsRoundTrip() throws IOException {
        RepositoryConfig c = RepositoryConfig.defaults().withChunkBytes(1 << 16).withZstdLevel(3).withMaxChainDepth(9).withDeltaRun(4)
                .withContextCoding(false).withSimilarityThreshold(0.75).withCheckoutFsync(true);
        Path f = dir.resolve("config");
        c.write(f);
        assertEquals(c, RepositoryConfig.read(f));
        assertEquals(new ChainShape(9, 4), RepositoryConfig.read(f).chainShape());
    }

    @Test
    void aConfigWithoutARunKeepsPlainSkipDeltaChains() throws IOException {
        Path f = dir.resolve("config");
        ChecksummedFile.write(f, RepositoryConfig.MAGIC, 1,
                "chunk.bytes=4194304\ndelta.max-depth=5\nzstd.level=1\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(ChainShape.skipDelta(5), RepositoryConfig.read(f).chainShape());
        assertEquals(true, RepositoryConfig.read(f).contextCoding(), "a config from before the setting codes by context");
        assertEquals(RepositoryConfig.DEFAULT_SIMILARITY_THRESHOLD, RepositoryConfig.read(f).similarityThreshold(),
                "a config from before the setting takes the default threshold");
        assertEquals(false, RepositoryConfig.read(f).checkoutFsync(), "a config from before the setting checks out into the page cache");
    }

    @Test
    void checkoutFsyncIsTrueOrFalse() throws BadInputException {
        assertEquals(true, RepositoryConfig.defaults().with("checkout.fsync", "true").checkoutFsync());
        assertEquals(false, RepositoryConfig.defaults().with("checkout.fsync", " false ").checkoutFsync());
        assertThrows(BadInputException.class, () -> RepositoryConfig.defaults().with("checkout.fsync", "yes"));
    }

    @Test
    void theSimilarityThresholdIsAFractionNothingElse() throws IOException {
        assertEquals(0.6, RepositoryConfig.DEFAULT_SIMILARITY_THRESHOLD);
        for (String ok : new String[] {"0", "1", "0.75", ".5", "1.0", "5e-1", " 0.9 "}) {
            double t = RepositoryConfig.defaults().with("similarity.threshold", ok).similarityThreshold();
            assertEquals(Double.parseDouble(ok.trim()), t, ok);
            assertEquals(t, RepositoryConfig.defaults().with("similarity.threshold", ok).similarityCheck().minAgreement(), ok);
        }
        for (String bad : new String[] {"1.5", "-0.1", "NaN", "Infinity", "0x1p-1", "0.5f", "", "high", "60%"}) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> RepositoryConfig.defaults().with("similarity.threshold", bad), bad);
            assertEquals(true, e.getMessage().contains("similarity.threshold"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        Path f = dir.resolve("config");
        ChecksummedFile.write(f, RepositoryConfig.MAGIC, 1, "similarity.threshold=2\n".getBytes(StandardCharsets.UTF_8));
        CorruptObjectException c = assertThrows(CorruptObjectException.class, () -> RepositoryConfig.read(f));
        assertEquals(true, c.getMessage().contains(f.toString()) && c.getMessage().contains("between 0 and 1"), c.getMessage());
    }

    @Test
    void contextCodingIsTrueOrFalseNothingElse() throws IOException {
        assertEquals(false, RepositoryConfig.defaults().with("codec.contexts", "false").contextCoding());
        BadInputException e = assertThrows(BadInputException.class, () -> RepositoryConfig.defaults().with("codec.contexts", "flase"));
        assertEquals(true, e.getMessage().contains("codec.contexts"), e.getMessage());
        Path f = dir.resolve("config");
        ChecksummedFile.write(f, RepositoryConfig.MAGIC, 1, "codec.contexts=0\n".getBytes(StandardCharsets.UTF_8));
        assertThrows(CorruptObjectException.class, () -> RepositoryConfig.read(f));
    }

    @Test
    void badRunsAreRefusedNamingTheSetting() throws IOException {
        BadInputException e = assertThrows(BadInputException.class, () -> RepositoryConfig.defaults().with("delta.run", "0"));
        assertEquals(true, e.getMessage().contains("delta.run=0"), e.getMessage());
        assertThrows(BadInputException.class, () -> RepositoryConfig.defaults().withMaxChainDepth(3).with("delta.run", "4"));
        Path f = dir.resolve("config");
        ChecksummedFile.write(f, RepositoryConfig.MAGIC, 1, "delta.max-depth=3\ndelta.run=7\n".getBytes(StandardCharsets.UTF_8));
        CorruptObjectException c = assertThrows(CorruptObjectException.class, () -> RepositoryConfig.read(f));
        assertEquals(true, c.getMessage().contains(f.toString()), c.getMessage());
    }

    @Test
    void lowerDepthsShrinkTheRunToFit() {
        assertEquals(new ChainShape(3, 3), RepositoryConfig.defaults().withMaxChainDepth(3).chainShape());
        assertEquals(new ChainShape(0, 1), RepositoryConfig.defaults().withMaxChainDepth(0).chainShape());
    }

    @Test
    void sizesTakeBinarySuffixes() throws BadInputException {
        assertEquals(65536, RepositoryConfig.parseSize("64K"));
        assertEquals(65536, RepositoryConfig.parseSize(" 64k "));
        assertEquals(4 << 20, RepositoryConfig.parseSize("4M"));
        assertEquals(4 << 20, RepositoryConfig.parseSize("4MiB"));
        assertEquals(4 << 20, RepositoryConfig.parseSize("4mb"));
        assertEquals(1L << 30, RepositoryConfig.parseSize("1G"));
        assertEquals(1L << 40, RepositoryConfig.parseSize("1T"));
        assertEquals(1000, RepositoryConfig.parseSize("1000"));
        assertEquals(0, RepositoryConfig.parseSize("0"));
        for (String bad : new String[] {"", "M", "4X", "1.5M", "abc", "99999999999T", "-"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RepositoryConfig.parseSize(bad), bad);
            assertEquals("'" + bad + "' is not a size (examples: 65536, 64K, 4M, 1G)", e.getMessage());
        }
        assertEquals(1L << 30, RepositoryConfig.defaults().with("cache.bytes", "1G").cacheBytes());
        assertEquals(1 << 20, RepositoryConfig.defaults().with("chunk.bytes", "1M").chunkBytes());
    }

    @Test
    void numbersOutOfTheirRangeOrNotWholeAreRefusedNamingTheSetting() {
        String[][] cases = {
            {"chunk.bytes", "99999999999", "setting chunk.bytes=99999999999: chunk size must be between 64 bytes and 256 MiB: 99999999999"},
            {"chunk.bytes", "1G", "setting chunk.bytes=1G: chunk size must be between 64 bytes and 256 MiB: 1G"},
            {"chunk.bytes", "63", "setting chunk.bytes=63: chunk size must be between 64 bytes and 256 MiB: 63"},
            {"zstd.level", "3.5", "setting zstd.level=3.5: not a whole number: '3.5'"},
            {"delta.max-depth", "99999999999", "setting delta.max-depth=99999999999: not a whole number: '99999999999'"},
            {"delta.run", "", "setting delta.run=: not a whole number: ''"},
            {"cache.bytes", "lots", "setting cache.bytes=lots: 'lots' is not a size (examples: 65536, 64K, 4M, 1G)"},
        };
        for (String[] c : cases) {
            BadInputException e = assertThrows(BadInputException.class, () -> RepositoryConfig.defaults().with(c[0], c[1]), c[1]);
            assertEquals(c[2], e.getMessage());
        }
    }
}
