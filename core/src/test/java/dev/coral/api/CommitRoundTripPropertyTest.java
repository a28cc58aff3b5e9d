package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.format.TensorSource;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: for any dtype, shape (0-d and empty included), byte order and chunk size, tensors
 * committed and read back are bit-identical, and safetensors and npy files check out with the
 * sha256 they were added with.
 */
class CommitRoundTripPropertyTest {
    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return new Random(0xC0A1).longs(40).boxed();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void anyTensorCommitsAndChecksOutBitIdentical(long seed) throws IOException {
        Random r = new Random(seed);
        int chunk = 64 + r.nextInt(4096);
        List<TensorSource> st = new ArrayList<>();
        List<byte[]> stBytes = new ArrayList<>();
        DType[] safetensorsTypes = Stream.of(DType.values()).filter(t -> t.safetensorsName().isPresent()).toArray(DType[]::new);
        for (int i = 0; i < 1 + r.nextInt(5); i++) {
            DType t = safetensorsTypes[r.nextInt(safetensorsTypes.length)];
            Shape shape = randomShape(r, t);
            byte[] b = new byte[(int) t.byteSize(shape.elementCount())];
            r.nextBytes(b);
            st.add(Tensors.of("t" + i, new TensorSpec(t, shape, false), b));
            stBytes.add(b);
        }
        Path model = TestModels.writeSafetensors(dir.resolve("m.safetensors"), st);
        DType[] numpyTypes = Stream.of(DType.values()).filter(t -> t.numpyCode().isPresent()).toArray(DType[]::new);
        DType nt = numpyTypes[r.nextInt(numpyTypes.length)];
        Shape nshape = randomShape(r, nt);
        byte[] npyLittle = new byte[(int) nt.byteSize(nshape.elementCount())];
        r.nextBytes(npyLittle);
        boolean bigEndian = nt.swapUnitBytes() > 1 && r.nextBoolean();
        boolean fortran = r.nextBoolean();
        Path npy = writeNpy(dir.resolve("sub/a.npy"), nt, nshape, npyLittle, bigEndian, fortran);
        String stSha = TestModels.sha256(model);
        String npySha = TestModels.sha256(npy);
        String ctx = "seed " + seed + " chunk " + chunk + " npy " + nt + nshape + (bigEndian ? " >" : " <") + (fortran ? " F" : " C");
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(chunk))) {
            repo.add(List.of(model, npy));
            repo.commit(CommitRequest.of(ctx));
            Files.delete(model);
            Files.delete(npy);
            repo.checkout("HEAD", true);
            assertEquals(stSha, TestModels.sha256(model), ctx);
            assertEquals(npySha, TestModels.sha256(npy), ctx);
            for (int i = 0; i < st.size(); i++) {
                try (InputStream in = repo.tensor("HEAD", "m.safetensors", "t" + i).openVerifiedStream()) {
                    assertArrayEquals(stBytes.get(i), in.readAllBytes(), ctx + " tensor t" + i);
                }
            }
            try (InputStream in = repo.tensors("HEAD", "sub/a.npy").get(0).openVerifiedStream()) {
                assertArrayEquals(npyLittle, in.readAllBytes(), ctx + ": chunks hold little-endian bytes");
            }
        }
    }

    private static Shape randomShape(Random r, DType t) {
        int rank = r.nextInt(4);
        long[] dims = new long[rank];
        for (int k = 0; k < rank; k++) {
            dims[k] = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(30);
        }
        Shape s = Shape.of(dims);
        // Sub-byte elements must fill whole bytes: round the last dimension up to a multiple of 8.
        if (!t.isByteAligned() && s.elementCount() * t.bits() % 8 != 0) {
            dims = rank == 0 ? new long[] {8} : dims;
            dims[dims.length - 1] = 8;
            s = Shape.of(dims);
        }
        return s;
    }

    /** Writes an npy file by hand, as numpy lays it out, in either byte order and either element order. */
    static Path writeNpy(Path file, DType t, Shape shape, byte[] littleEndian, boolean bigEndian, boolean fortran) throws IOException {
        StringBuilder dims = new StringBuilder("(");
        for (long d : shape.dims()) {
            dims.append(d).append(", ");
        }
        if (shape.rank() > 1) {
            dims.setLength(dims.length() - 2);
        } else if (shape.rank() == 1) {
            dims.setLength(dims.length() - 1);
        }
        dims.append(')');
        String order = t.swapUnitBytes() == 1 ? "|" : bigEndian ? ">" : "<";
        String dict = "{'descr': '" + order + t.numpyCode().orElseThrow() + "', 'fortran_order': " + (fortran ? "True" : "False")
                + ", 'shape': " + dims + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] data = littleEndian.clone();
        if (bigEndian) {
            int u = t.swapUnitBytes();
            for (int i = 0; i < data.length; i += u) {
                for (int a = i, b = i + u - 1; a < b; a++, b--) {
                    byte x = data[a];
                    data[a] = data[b];
                    data[b] = x;
                }
            }
        }
        Files.createDirectories(file.getParent());
        ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        try (var out = Files.newOutputStream(file)) {
            out.write(head.array());
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            out.write(data);
        }
        return file;
    }
}
