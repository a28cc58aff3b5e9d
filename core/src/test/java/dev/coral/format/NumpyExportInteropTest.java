package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.tensor.DType;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * numpy as an independent client of Coral's exports: Coral writes npy and npz files, python3
 * loads them with numpy and reports dtype, shape, order and a hash of the data; npy files must
 * also equal what {@code np.save} writes for the same array, byte for byte.
 */
class NumpyExportInteropTest {
    @TempDir
    Path dir;

    /** Prints, per file, a JSON list of [name, dtype.str, shape, fortran, sha256 of LE bytes, np.save-identical]. */
    private static final String PY = String.join("\n",
            "import sys, json, hashlib, io",
            "import numpy as np",
            "def info(name, a, raw):",
            "    le = a.astype(a.dtype.newbyteorder('<'), copy=False)",
            "    fortran = bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous)",
            "    same = None",
            "    if raw is not None:",
            "        buf = io.BytesIO(); np.save(buf, a); same = buf.getvalue() == raw",
            "    return [name, a.dtype.str, list(a.shape), fortran,",
            "            hashlib.sha256(le.tobytes(order='F' if fortran else 'C')).hexdigest(), same]",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    if f.endswith('.npy'):",
            "        raw = open(f, 'rb').read()",
            "        out[f] = [info('array', np.load(f, allow_pickle=False), raw)]",
            "    else:",
            "        with np.load(f, allow_pickle=False) as z:",
            "            out[f] = [info(k, z[k], None) for k in z.files]",
            "print(json.dumps(out))");

    static String numpyStr(DType t) {
        return (t.bits() == 8 ? "|" : "<") + t.numpyCode().orElseThrow();
    }

    @Test
    @SuppressWarnings("unchecked")
    void numpyLoadsCoralExports() throws Exception {
        String python = dev.coral.testutil.Python.require("numpy", "numpy interop", "Debian: apt-get install python3-numpy");
        long seed = 424242;
        Random r = new Random(seed);
        Map<String, List<TestTensors.Mem>> written = new java.util.LinkedHashMap<>();
        List<DType> types = TestTensors.numpyTypes();
        int i = 0;
        for (DType t : types) {
            for (int k = 0; k < 3; k++) {
                TestTensors.Mem m = TestTensors.randomTensor(r, "array", t, k == 2);
                Path p = dir.resolve("t" + (i++) + ".npy");
                Files.write(p, TestTensors.write(new NpyFormat(), List.of(m)));
                written.put(p.toString(), List.of(m));
            }
        }
        for (int z = 0; z < 3; z++) {
            List<TestTensors.Mem> tensors = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                tensors.add(TestTensors.randomTensor(r, (k % 2 == 0 ? "dir/" : "") + "w" + k,
                        types.get(r.nextInt(types.size())), r.nextBoolean()));
            }
            Path p = dir.resolve("z" + z + ".npz");
            try (OutputStream out = Files.newOutputStream(p)) {
                new NpzFormat().write(tensors, Map.of(), out);
            }
            written.put(p.toString(), tensors);
        }
        List<String> cmd = new ArrayList<>(List.of(python, "-c", PY));
        cmd.addAll(written.keySet());
        Map<String, Object> got = (Map<String, Object>) Json.parse(dev.coral.testutil.Python.output(cmd));
        for (Map.Entry<String, List<TestTensors.Mem>> e : written.entrySet()) {
            List<Object> rows = (List<Object>) got.get(e.getKey());
            assertEquals(e.getValue().size(), rows.size(), e.getKey() + " seed " + seed);
            for (int k = 0; k < rows.size(); k++) {
                List<Object> row = (List<Object>) rows.get(k);
                TestTensors.Mem m = e.getValue().get(k);
                String at = e.getKey() + " tensor " + m.name() + " " + m.spec() + " seed " + seed;
                assertEquals(m.name(), row.get(0), at);
                assertEquals(numpyStr(m.spec().dtype()), row.get(1), at);
                long[] dims = ((List<Object>) row.get(2)).stream().mapToLong(o -> ((BigInteger) o).longValueExact()).toArray();
                assertEquals(m.spec().shape(), dev.coral.tensor.Shape.of(dims), at);
                // numpy reports Fortran order only where it differs from C order (two axes longer than 1)
                assertEquals(FortranToC.needed(m.spec()), row.get(3), at);
                assertEquals(TestTensors.sha256(m.data()), row.get(4), at);
                if (e.getKey().endsWith(".npy")) {
                    assertEquals(Boolean.TRUE, row.get(5), at + ": Coral's npy must equal np.save's bytes");
                }
            }
        }
    }
}
