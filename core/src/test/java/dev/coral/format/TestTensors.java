package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers for the format tests: in-memory tensors, random specs, byte utilities. */
final class TestTensors {
    private TestTensors() {
    }

    /** A tensor held in memory. */
    record Mem(String name, TensorSpec spec, byte[] data) implements TensorSource {
        @Override
        public InputStream openStream() {
            return new ByteArrayInputStream(data);
        }
    }

    /**
     * {@code rounds} copies of {@code whole}, each {@link dev.coral.testutil.Damage damaged} (seeded), written
     * to {@code file} in turn: each is refused by {@code format} in one line naming the file, or
     * read and restored byte for byte as it is (what the reader misreads stays in the restore
     * info). No other exception. Returns how many were refused.
     */
    static int damagedCopiesRefusedOrRestored(WeightFileFormat format, byte[] whole, long seed, int rounds, java.nio.file.Path file)
            throws Exception {
        return damagedCopiesRefusedOrRestored(format, whole, seed, rounds, file, true);
    }

    /**
     * As above: a damaged copy read is restored byte for byte where the format says it restores
     * that copy's bytes, else (only allowed with {@code byteExact} false: an npz with deflated
     * members, whose damage may leave a stream Coral cannot rebuild) to a file that reads as the
     * same tensors.
     */
    static int damagedCopiesRefusedOrRestored(WeightFileFormat format, byte[] whole, long seed, int rounds, java.nio.file.Path file,
                                              boolean byteExact) throws Exception {
        java.util.Random r = new java.util.Random(seed);
        int refused = 0;
        for (int round = 0; round < rounds; round++) {
            byte[] damaged = dev.coral.testutil.Damage.of(whole, r);
            java.nio.file.Files.write(file, damaged);
            String at = file.getFileName() + " round " + round + " seed " + seed;
            try (ParsedWeightFile parsed = format.read(file)) {
                byte[] restored = restore(format, parsed);
                if (format.restoresBytes(parsed.restoreInfo())) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(damaged, restored, at);
                } else {
                    org.junit.jupiter.api.Assertions.assertFalse(byteExact, at + ": restored value-identical");
                    java.nio.file.Path again = file.resolveSibling("restored-" + file.getFileName());
                    java.nio.file.Files.write(again, restored);
                    try (ParsedWeightFile reread = format.read(again)) {
                        assertSameTensors(parsed.tensors(), reread, at);
                    }
                    java.nio.file.Files.delete(again);
                }
            } catch (dev.coral.error.BadInputException e) {
                refused++;
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(file.getFileName().toString())
                        && !e.getMessage().contains("\n"), at + ": " + e.getMessage());
            }
        }
        java.nio.file.Files.deleteIfExists(file);
        return refused;
    }

    /**
     * Damaged copies per file in the damage tests: {@code byDefault}, or the system property
     * {@code coral.damageRounds} for a longer run ({@code mvn test -Dtest='Damaged*,Hdf5FormatTest,KerasFormatTest'
     * -Dcoral.test.argLine="-Xmx1g -Dcoral.damageRounds=5000"}).
     */
    static int damageRounds(int byDefault) {
        return Integer.getInteger("coral.damageRounds", byDefault);
    }

    static List<DType> safetensorsTypes() {
        return Arrays.stream(DType.values()).filter(t -> t.safetensorsName().isPresent()).toList();
    }

    static List<DType> numpyTypes() {
        return Arrays.stream(DType.values()).filter(t -> t.numpyCode().isPresent()).toList();
    }

    /** A random shape of rank 0..4 with small dims (sometimes 0) whose bytes are whole for {@code t}. */
    static Shape randomShape(Random r, DType t) {
        while (true) {
            int rank = r.nextInt(5);
            long[] dims = new long[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(5);
            }
            Shape s = Shape.of(dims);
            if ((s.elementCount() * t.bits()) % 8 == 0) {
                return s;
            }
        }
    }

    static Mem randomTensor(Random r, String name, DType t, boolean fortran) {
        Shape s = randomShape(r, t);
        TensorSpec spec = new TensorSpec(t, s, fortran);
        byte[] data = new byte[(int) spec.byteSize()];
        r.nextBytes(data);
        return new Mem(name, spec, data);
    }

    /** {@code m} with its Fortran flag dropped where C and Fortran layouts coincide (as exports do). */
    static Mem normalized(Mem m) {
        return new Mem(m.name(), new TensorSpec(m.spec().dtype(), m.spec().shape(), FortranToC.needed(m.spec())), m.data());
    }

    static byte[] readAll(TensorSource t) throws IOException {
        try (InputStream in = t.openStream()) {
            return in.readAllBytes();
        }
    }

    /** An independent byte swap, for building big-endian test files. */
    static byte[] swap(byte[] le, int unit) {
        byte[] out = le.clone();
        for (int i = 0; i + unit <= out.length; i += unit) {
            for (int k = 0; k < unit; k++) {
                out[i + k] = le[i + unit - 1 - k];
            }
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] write(WeightFileFormat f, List<? extends TensorSource> tensors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        f.write(tensors, java.util.Map.of(), out);
        return out.toByteArray();
    }

    static byte[] restore(WeightFileFormat f, ParsedWeightFile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        f.restore(p.restoreInfo(), p.tensors(), out);
        return out.toByteArray();
    }

    /** Asserts that the parsed tensors equal {@code expected} (names, specs, bytes) in order. */
    static void assertSameTensors(List<? extends TensorSource> expected, ParsedWeightFile p, String msg) throws IOException {
        List<TensorSource> got = new ArrayList<>(p.tensors());
        assertEquals(expected.size(), got.size(), msg);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).name(), got.get(i).name(), msg);
            assertEquals(expected.get(i).spec(), got.get(i).spec(), msg + " tensor " + expected.get(i).name());
            assertArrayEquals(readAll(expected.get(i)), readAll(got.get(i)), msg + " tensor " + expected.get(i).name());
        }
    }

    /** Reading {@code file} with {@code f} must fail with a one-line message naming the file and containing {@code part}. */
    static BadInputException assertBad(WeightFileFormat f, Path file, String part) {
        Executable read = () -> {
            try (ParsedWeightFile p = f.read(file)) {
                p.tensors();
            }
        };
        BadInputException e = assertThrows(BadInputException.class, read, "reading " + file + " should fail");
        String m = e.getMessage();
        assertTrue(m.contains(file.getFileName().toString()), "message should name the file: " + m);
        assertTrue(m.toLowerCase().contains(part.toLowerCase()), "message should mention '" + part + "': " + m);
        assertTrue(!m.contains("\n"), "message should be one line: " + m);
        return e;
    }
}
