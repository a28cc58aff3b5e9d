package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code codec.zigzag}: on (the default) a BF16 Adam-like history's steps are stored as zigzag
 * differences, smaller than as XOR deltas, and its fp32 copy's stay XOR; off, no chunk is a zigzag
 * delta; either way every commit reads back bit-exact, also from a checkout going back from a newer
 * file (which reads zigzag links from the store, not undoing them), and after a repack that turns
 * the setting off.
 */
class ZigzagDeltasTest {
    private static final int ELEMENTS = ContextCodingTest.adamSteps(1).get(0).length / 4;

    @TempDir
    Path dir;

    /** The top 2 bytes (rounded to nearest even) of each fp32 element: BF16. */
    static byte[] bf16(byte[] fp32) {
        byte[] out = new byte[fp32.length / 2];
        for (int i = 0; i < out.length / 2; i++) {
            int x = (fp32[4 * i] & 0xFF) | (fp32[4 * i + 1] & 0xFF) << 8 | (fp32[4 * i + 2] & 0xFF) << 16 | fp32[4 * i + 3] << 24;
            int r = (x + 0x7FFF + (x >>> 16 & 1)) >>> 16;
            out[2 * i] = (byte) r;
            out[2 * i + 1] = (byte) (r >>> 8);
        }
        return out;
    }

    private record Stored(long bytes, long zigzagChunks, long xorChunks) {
    }

    private Stored commitHistory(Path root, DType dtype, boolean zigzag) throws IOException {
        return commitHistory(root, dtype, RepositoryConfig.defaults().withZigzagDeltas(zigzag).withCacheBytes(0));
    }

    private Stored commitHistory(Path root, DType dtype, RepositoryConfig config) throws IOException {
        boolean zigzag = config.zigzagDeltas();
        List<byte[]> steps = new ArrayList<>();
        for (byte[] s : ContextCodingTest.adamSteps(42)) {
            steps.add(dtype == DType.BF16 ? bf16(s) : s);
        }
        try (Repository repo = Repository.init(root, config)) {
            for (int s = 0; s < steps.size(); s++) {
                repo.commitTensors("model.safetensors", List.of(Tensors.of("w", TensorSpec.of(dtype, ELEMENTS), steps.get(s))), Map.of(),
                        CommitRequest.of("step " + s));
            }
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            Collections.reverse(log);
            for (int s = 0; s < steps.size(); s++) {
                try (InputStream in = repo.tensor(log.get(s).id().hex(), "model.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(steps.get(s), in.readAllBytes(), dtype + " step " + s + (zigzag ? "" : " without zigzag"));
                }
            }
            for (int s = steps.size() - 1; s >= 0; s--) { // going back from each newer file
                repo.checkout(log.get(s).id().hex(), true);
                try (InputStream in = repo.tensor(log.get(s).id().hex(), "model.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(steps.get(s), in.readAllBytes());
                }
            }
            RepositoryStats st = repo.stats(false, false);
            return new Stored(st.storedBytes(), count(st, ChunkCodec.ZIGZAG_PLANES), count(st, ChunkCodec.XOR_PLANES));
        }
    }

    private static long count(RepositoryStats st, ChunkCodec codec) {
        return st.codecs().stream().filter(c -> c.codec() == codec).mapToLong(RepositoryStats.CodecCount::chunks).sum();
    }

    @Test
    void bf16StepsAreZigzagDeltasUnlessTurnedOff() throws IOException {
        Stored on = commitHistory(dir.resolve("on"), DType.BF16, true);
        Stored off = commitHistory(dir.resolve("off"), DType.BF16, false);
        assertTrue(on.zigzagChunks() >= 3, "zigzag deltas: " + on);
        assertEquals(0, off.zigzagChunks(), "codec.zigzag=false: " + off);
        assertTrue(on.bytes() < off.bytes(), "with zigzag " + on + ", without " + off);
        Stored cached = commitHistory(dir.resolve("cached"), DType.BF16, RepositoryConfig.defaults().withChunkBytes(16 << 10));
        assertTrue(cached.zigzagChunks() >= 3, "with the chunk cache and 16 KiB chunks: " + cached);
        Stored fp32 = commitHistory(dir.resolve("fp32"), DType.F32, true);
        assertEquals(0, fp32.zigzagChunks(), "fp32 steps stay XOR: " + fp32);
        assertTrue(fp32.xorChunks() >= 3, fp32.toString());
    }

    @Test
    void aRepackWithTheSettingOffRewritesZigzagDeltas() throws IOException {
        Path root = dir.resolve("r");
        commitHistory(root, DType.BF16, true);
        try (Repository repo = Repository.open(root)) {
            repo.setConfig("codec.zigzag", "false");
            repo.repack();
            RepositoryStats st = repo.stats(false, false);
            assertEquals(0, count(st, ChunkCodec.ZIGZAG_PLANES), "after the repack");
            assertTrue(repo.fsck(false).clean());
        }
    }
}
