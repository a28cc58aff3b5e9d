package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.repo.FileEntry;
import dev.coral.repo.FileIngest;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code commitTensors} on both sides of {@link FileIngest#HASH_ASIDE_BYTES} (the safetensors
 * writer that gives the file's header and checksums runs in line below it, on a thread of its own
 * from it): the file checked out is the writer's bytes, with the size and SHA-256 the file entry
 * records; a tensor the writer rejects fails with the writer's message and stores nothing.
 */
class MemoryStagingTest {
    @TempDir
    Path dir;

    /** Two tensors of {@code total} bytes in all. */
    private static List<TensorSource> tensors(long seed, int total) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] a = new byte[total / 4 * 3 / 4 * 4];
        byte[] b = new byte[total - a.length];
        r.nextBytes(a);
        r.nextBytes(b);
        return List.of(Tensors.of("a", TensorSpec.of(DType.F32, a.length / 4), a), Tensors.of("b", TensorSpec.of(DType.U8, b.length), b));
    }

    private long packs() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            return s.filter(p -> p.toString().endsWith(".pack")).count();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64 << 10, (int) FileIngest.HASH_ASIDE_BYTES + 4096})
    void theFileCheckedOutIsTheWritersBytes(int total) throws IOException {
        try (Repository repo = Repository.init(dir)) {
            for (int v = 0; v < 2; v++) {
                List<TensorSource> ts = tensors(v, total);
                repo.commitTensors("m.safetensors", ts, Map.of("step", String.valueOf(v)), CommitRequest.of("v" + v));
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                WeightFormats.byName("safetensors").orElseThrow().write(ts, Map.of("step", String.valueOf(v)), expected);
                FileEntry e = repo.fileAt("HEAD", "m.safetensors");
                assertEquals(expected.size(), e.fileSize(), "v" + v);
                assertArrayEquals(ObjectId.sha256().digest(expected.toByteArray()), e.fileSha256(), "v" + v);
                repo.checkout("HEAD", true);
                assertArrayEquals(expected.toByteArray(), Files.readAllBytes(dir.resolve("m.safetensors")), "v" + v);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64 << 10, (int) FileIngest.HASH_ASIDE_BYTES + 4096})
    void aTensorTheWriterRejectsFailsWithItsMessageAndStoresNothing(int total) throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commitTensors("m.safetensors", tensors(1, 1024), Map.of(), CommitRequest.of("first"));
            ObjectId head = repo.resolve("HEAD");
            long packs = packs();
            List<TensorSource> ts = tensors(2, total);
            TensorSource a = ts.get(0);
            byte[] shortBytes = a.openStream().readAllBytes();
            TensorSource cut = new TensorSource() { // its stream ends 4 bytes early
                @Override
                public String name() {
                    return a.name();
                }

                @Override
                public TensorSpec spec() {
                    return a.spec();
                }

                @Override
                public InputStream openStream() {
                    return new ByteArrayInputStream(shortBytes, 0, shortBytes.length - 4);
                }
            };
            List<List<TensorSource>> bad = List.of(List.of(cut, ts.get(1)), List.of(ts.get(0), ts.get(1), ts.get(1)));
            List<String> says = List.of("stream ended after", "appears twice");
            for (int k = 0; k < bad.size(); k++) {
                List<TensorSource> b = bad.get(k);
                BadInputException e = assertThrows(BadInputException.class,
                        () -> repo.commitTensors("m.safetensors", b, Map.of(), CommitRequest.of("bad")));
                assertTrue(e.getMessage().contains(says.get(k)), e.getMessage());
                assertEquals(head, repo.resolve("HEAD"));
                assertEquals(packs, packs(), "no pack left by a failed commit");
                assertTrue(repo.status().isClean(), repo.status().toString());
            }
        }
    }
}
