package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.testutil.Python;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * npz files with deflated members ({@code np.savez_compressed}) come back byte for byte: Coral
 * keeps every byte but the deflate streams and rebuilds each stream by deflating the member's
 * data again at the level found when the file was added ({@link DeflateReplay}, restore info
 * version 3). Members it cannot rebuild (level 0's stored blocks, another deflate) leave the file
 * value-identical, as all deflated npz files were before.
 */
class NpzDeflatedVerbatimTest {
    private final NpzFormat format = new NpzFormat();

    @TempDir
    Path dir;

    private static Path testdata(String name) {
        return Path.of(System.getProperty("coral.testdata", "../testdata")).resolve(name);
    }

    /** What a file restores to through its own restore info. */
    private byte[] restored(Path file) throws IOException {
        try (ParsedWeightFile parsed = format.read(file)) {
            return TestTensors.restore(format, parsed);
        }
    }

    @Test
    void thisMachinesDeflateWritesWhatZlibWrites() {
        assertTrue(DeflateReplay.rebuildsZlibStreams(), "java.util.zip.Deflater here does not write zlib 1.2.13's streams for the "
                + "probe input: deflated npz files are restored value-identical on this machine, and the tests below cannot pass");
    }

    /** The probe's expected streams are zlib's own, as Python's zlib writes them from the same input. */
    @Test
    void theProbesStreamsArePythonZlibs() throws Exception {
        String python = Python.require("zlib", "the deflate probe's reference", "Debian: apt-get install python3");
        Path input = dir.resolve("probe.bin");
        Files.write(input, DeflateReplay.probeInput());
        String out = Python.output(List.of(python, "-c", String.join("\n",
                "import sys, zlib",
                "data = open(sys.argv[1], 'rb').read()",
                "for level in range(1, 10):",
                "    c = zlib.compressobj(level, zlib.DEFLATED, -15)",
                "    print(zlib.crc32(c.compress(data) + c.flush()))"), input.toString())).trim();
        String[] lines = out.split("\\s+");
        assertEquals(9, lines.length, out);
        for (int level = 1; level <= 9; level++) {
            assertEquals(Long.parseLong(lines[level - 1]), DeflateReplay.probeCrc(level, DeflateReplay.probeInput()), "level " + level);
        }
    }

    /** numpy's np.savez_compressed file, and zipfile's at levels 1-9 with a stored member between. */
    @ParameterizedTest
    @ValueSource(strings = {"npz_deflated.npz", "npz_deflated_levels.npz"})
    void bundledDeflatedNpzFilesComeBackByteForByte(String name) throws IOException {
        Path file = testdata(name);
        try (ParsedWeightFile parsed = format.read(file)) {
            byte[] info = parsed.restoreInfo();
            assertTrue(format.restoresBytes(info), name);
            assertTrue(NpzRestoreInfo.hasDeflatedMembers(info), name);
            assertTrue(format.placement(info, parsed.tensors()).isEmpty(), "a deflated member's data is not at a place in the file");
            assertArrayEquals(Files.readAllBytes(file), TestTensors.restore(format, parsed), name);
        }
    }

    /**
     * On a machine whose deflate is not zlib's, an npz added there is value-identical, and one
     * added elsewhere (version 3) is checked out value-identical, never as bytes that fail their check.
     */
    @Test
    void aMachineWhoseDeflateIsNotZlibsRestoresValueIdentical() throws IOException {
        Path file = testdata("npz_deflated.npz");
        List<NpzFormatTest.Member> members = members(file);
        byte[] v3;
        try (ParsedWeightFile parsed = format.read(file)) {
            v3 = parsed.restoreInfo();
        }
        try {
            DeflateReplay.assumeRebuilds(false);
            try (ParsedWeightFile parsed = format.read(file)) {
                byte[] info = parsed.restoreInfo();
                assertFalse(format.restoresBytes(info), "added here");
                assertFalse(NpzRestoreInfo.isVerbatim(info));
                assertFalse(format.restoresBytes(v3), "added on a zlib machine");
                assertArrayEquals(info, format.forOtherValues(v3));
                Path back = dir.resolve("back.npz");
                try (java.io.OutputStream out = Files.newOutputStream(back)) {
                    format.restore(v3, parsed.tensors(), out);
                }
                NpzFormatTest.assertSameMembers(members, back, "version 3 restored without zlib");
            }
        } finally {
            DeflateReplay.assumeRebuilds(null);
        }
        assertTrue(format.restoresBytes(v3));
    }

    /** Level 0 (stored blocks as long as the writer's buffers) is not rebuilt: the same members in a zip of Coral's own. */
    @Test
    void membersDeflatedAtLevel0ComeBackValueIdentical() throws IOException {
        Path file = testdata("npz_deflated_level0.npz");
        List<NpzFormatTest.Member> members = members(file);
        try (ParsedWeightFile parsed = format.read(file)) {
            byte[] info = parsed.restoreInfo();
            assertFalse(format.restoresBytes(info));
            assertArrayEquals(info, format.forOtherValues(info));
            Path back = dir.resolve("back.npz");
            Files.write(back, TestTensors.restore(format, parsed));
            NpzFormatTest.assertSameMembers(members, back, "level 0");
        }
    }

    /**
     * Random npz files of weight-like and random members (0 to ~300 KB each, several deflate
     * blocks), stored or deflated at levels 1-9, some big-endian: every one comes back byte for
     * byte, and its values-only restore info gives the same members.
     */
    @RepeatedTest(30)
    void randomDeflatedArchivesComeBackByteForByte(RepetitionInfo rep) throws IOException {
        long seed = 91_000 + rep.getCurrentRepetition();
        String msg = "seed " + seed;
        Random r = new Random(seed);
        int n = 1 + r.nextInt(5);
        List<NpzFormatTest.Member> members = new ArrayList<>();
        int[] levels = new int[n];
        for (int k = 0; k < n; k++) {
            members.add(new NpzFormatTest.Member("m" + k + ".npy", r.nextInt(4) == 0 ? ZipEntry.STORED : ZipEntry.DEFLATED, npy(r)));
            levels[k] = 1 + r.nextInt(9);
        }
        Path file = dir.resolve("r.npz");
        Files.write(file, NpzFormatTest.zip(members, levels));
        try (ParsedWeightFile parsed = format.read(file)) {
            byte[] info = parsed.restoreInfo();
            assertTrue(format.restoresBytes(info), msg);
            assertArrayEquals(Files.readAllBytes(file), TestTensors.restore(format, parsed), msg);
            Path values = dir.resolve("values.npz");
            try (java.io.OutputStream out = Files.newOutputStream(values)) {
                format.restore(format.forOtherValues(info), parsed.tensors(), out);
            }
            NpzFormatTest.assertSameMembers(members, values, msg + " (values only)");
        }
    }

    /** numpy's np.savez_compressed, and zipfile at levels 1 and 9, on members of hundreds of kilobytes (many deflate blocks): byte for byte. */
    @Test
    void numpysCompressedFilesOfManyBlocksComeBackByteForByte() throws Exception {
        String python = Python.require("numpy", "numpy interop", "Debian: apt-get install python3-numpy");
        Python.output(List.of(python, "-c", String.join("\n",
                "import sys, io, zipfile, numpy as np",
                "r = np.random.default_rng(7)",
                "m = {'w': (r.standard_normal((400, 300)) * 0.02).astype(np.float32),",
                "     'step': np.arange(40000, dtype=np.int64), 'h': r.standard_normal(90000).astype(np.float16),",
                "     'be': (r.standard_normal(40000)).astype('>f8'), 'mask': r.random(50000) < 0.1}",
                "np.savez_compressed(sys.argv[1] + '/numpy.npz', **m)",
                "for level in (1, 9):",
                "    with zipfile.ZipFile(sys.argv[1] + '/level%d.npz' % level, 'w', zipfile.ZIP_DEFLATED, compresslevel=level) as z:",
                "        for k, a in m.items():",
                "            b = io.BytesIO(); np.lib.format.write_array(b, a); z.writestr(k + '.npy', b.getvalue())"),
                dir.toString()));
        for (String name : List.of("numpy.npz", "level1.npz", "level9.npz")) {
            Path file = dir.resolve(name);
            try (ParsedWeightFile parsed = format.read(file)) {
                assertTrue(format.restoresBytes(parsed.restoreInfo()), name);
            }
            assertArrayEquals(Files.readAllBytes(file), restored(file), name);
        }
    }

    /** A level or stream length that does not rebuild the stream fails the restore, naming the member. */
    @Test
    void aWrongLevelOrLengthFailsTheRestore() throws IOException {
        Random r = new Random(17);
        List<NpzFormatTest.Member> members = List.of(new NpzFormatTest.Member("w.npy", ZipEntry.DEFLATED, weights(r, 20_000)));
        Path file = dir.resolve("w.npz");
        Files.write(file, NpzFormatTest.zip(members, new int[] {6}));
        try (ParsedWeightFile parsed = format.read(file)) {
            NpzRestoreInfo.Verbatim v = NpzRestoreInfo.decodeVerbatim(parsed.restoreInfo());
            assertEquals(6, v.levels()[0]);
            byte[] otherLevel = NpzRestoreInfo.encodeVerbatim(new NpzRestoreInfo.Verbatim(v.members(), v.cutAt(), new int[] {1},
                    v.deflatedLengths(), v.skeleton()));
            byte[] otherLength = NpzRestoreInfo.encodeVerbatim(new NpzRestoreInfo.Verbatim(v.members(), v.cutAt(), v.levels(),
                    new long[] {v.deflatedLengths()[0] + 1}, v.skeleton()));
            for (byte[] info : List.of(otherLevel, otherLength)) {
                CorruptObjectException e = assertThrows(CorruptObjectException.class,
                        () -> format.restore(info, parsed.tensors(), new ByteArrayOutputStream()));
                assertTrue(e.getMessage().contains("member 'w.npy' deflated at level"), e.getMessage());
            }
        }
    }

    /** Damaged version 3 restore info is refused as corrupt, never read past its end. */
    @Test
    void damagedRestoreInfoIsCorrupt() throws IOException {
        Random r = new Random(18);
        Path file = dir.resolve("d.npz");
        Files.write(file, NpzFormatTest.zip(List.of(new NpzFormatTest.Member("a.npy", ZipEntry.STORED, weights(r, 100)),
                new NpzFormatTest.Member("b.npy", ZipEntry.DEFLATED, weights(r, 100))), new int[] {6, 6}));
        byte[] info;
        try (ParsedWeightFile parsed = format.read(file)) {
            info = parsed.restoreInfo();
        }
        assertEquals(NpzRestoreInfo.DEFLATED_VERBATIM_VERSION, info[0]);
        assertEquals(2, NpzRestoreInfo.decodeVerbatim(info).members().size());
        for (int cut = 1; cut < info.length; cut++) {
            byte[] shorter = Arrays.copyOf(info, cut);
            assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decodeVerbatim(shorter), "cut at " + cut);
        }
        int kindAt = 1 + 4 + 4 + "a.npy".length(); // version, count, the first name's length and bytes
        byte[] badKind = info.clone();
        badKind[kindAt] = 7;
        assertTrue(assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decodeVerbatim(badKind)).getMessage()
                .contains("unknown kind 7"));
        int levelAt = kindAt + 1 + 4 + 8 + 4 + "b.npy".length() + 1; // a's header length and cut, b's name, b's kind
        byte[] badLevel = info.clone();
        assertEquals(6, badLevel[levelAt]);
        badLevel[levelAt] = 10;
        assertTrue(assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decodeVerbatim(badLevel)).getMessage()
                .contains("deflate level 10"));
    }

    /** A member's npy file: weight-like float32 (most), random bytes, or small integers; up to ~300 KB. */
    private static byte[] npy(Random r) {
        int kind = r.nextInt(3);
        int n = r.nextInt(5) == 0 ? r.nextInt(4) : r.nextInt(75_000);
        if (kind == 0) {
            return weights(r, n);
        }
        DType t = kind == 1 ? DType.U8 : DType.I32;
        byte[] data = new byte[n * (t == DType.U8 ? 1 : 4)];
        if (kind == 1) {
            r.nextBytes(data);
        } else {
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                b.putInt(r.nextInt(50));
            }
        }
        String descr = t == DType.U8 ? "|u1" : "<i4";
        return NpyFormatTest.npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + n + ",), }", 1, data);
    }

    /** An npy file of n float32 values near zero, big-endian one time in four. */
    private static byte[] weights(Random r, int n) {
        boolean big = r.nextInt(4) == 0;
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putFloat((float) (r.nextGaussian() * 0.02));
        }
        return NpyFormatTest.npy("{'descr': '" + (big ? '>' : '<') + "f4', 'fortran_order': False, 'shape': (" + n + ",), }", 1, b.array());
    }

    /** The members of an npz as java.util.zip reads them: names, methods and contents. */
    private static List<NpzFormatTest.Member> members(Path file) throws IOException {
        List<NpzFormatTest.Member> out = new ArrayList<>();
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                out.add(new NpzFormatTest.Member(e.getName(), e.getMethod(), z.getInputStream(e).readAllBytes()));
            }
        }
        return out;
    }
}
