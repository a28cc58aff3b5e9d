package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * h5py (libhdf5) as an independent client of Coral's HDF5 export: Coral writes random models,
 * python3 opens them with h5py and reports every dataset's dtype, shape and a hash of its
 * little-endian bytes (a bfloat16 one's bits, as Keras 3 stores them, with its marker), and the
 * root group's attributes. (h5py's own files are read in
 * {@link TestdataInteropTest}.) Debian's python3-h5py serves /usr/bin/python3, which may not be
 * the python3 first on the PATH: both are tried.
 */
class Hdf5InteropTest {
    @TempDir
    Path dir;

    private static final String PY = String.join("\n",
            "import sys, json, hashlib",
            "import h5py, numpy as np",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    rows = {}",
            "    with h5py.File(f, 'r') as h:",
            "        def visit(name, obj):",
            "            if isinstance(obj, h5py.Dataset):",
            "                a = np.asarray(obj[()])",
            "                le = a if a.dtype.kind == 'V' else a.astype(a.dtype.newbyteorder('<'), copy=False)",
            "                marker = obj.attrs['dtype'] if 'dtype' in obj.attrs else None",
            "                if marker is not None and not isinstance(marker, str):",
            "                    marker = repr(marker)  # Keras compares it with a str: bytes or arrays would not do",
            "                rows[name] = [a.dtype.str, list(a.shape), hashlib.sha256(le.tobytes()).hexdigest(), marker]",
            "        h.visititems(visit)",
            "        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in h.attrs.items()}",
            "    out[f] = {'datasets': rows, 'attrs': attrs}",
            "print(json.dumps(out))");

    @Test
    @SuppressWarnings("unchecked")
    void h5pyReadsCoralExportsValueForValue() throws Exception {
        String python = dev.coral.testutil.Python.require("h5py, numpy", "HDF5 interop",
                "Debian: apt-get install python3-h5py; .ci/run installs it");
        long seed = 20261205;
        Random r = new Random(seed);
        Map<String, List<TestTensors.Mem>> written = new LinkedHashMap<>();
        Map<String, Map<String, String>> metadata = new LinkedHashMap<>();
        for (int f = 0; f < 12; f++) {
            List<TestTensors.Mem> tensors = new ArrayList<>();
            tensors.addAll(Hdf5FormatTest.randomModel(r));
            tensors.add(TestTensors.randomTensor(r, "layers/embedding/vars/0", DType.BF16, false)); // a Keras bfloat16 variable in each
            Map<String, String> meta = f % 3 == 0 ? Map.of("format", "pt", "model_config", "{\"layers\": [1, 2]}") : Map.of();
            Path p = dir.resolve("m" + f + ".h5");
            try (OutputStream out = Files.newOutputStream(p)) {
                new Hdf5Format().write(tensors, meta, out);
            }
            written.put(p.toString(), tensors);
            metadata.put(p.toString(), meta);
        }
        List<String> cmd = new ArrayList<>(List.of(python, "-c", PY));
        cmd.addAll(written.keySet());
        Map<String, Object> got = (Map<String, Object>) Json.parse(dev.coral.testutil.Python.output(cmd)); // h5py reads every file
        long bf16 = written.values().stream().flatMap(List::stream).filter(m -> m.spec().dtype() == DType.BF16).count();
        assertTrue(bf16 >= 12, "the seeded models hold BF16 tensors: " + bf16);
        for (Map.Entry<String, List<TestTensors.Mem>> e : written.entrySet()) {
            Map<String, Object> file = (Map<String, Object>) got.get(e.getKey());
            Map<String, Object> rows = (Map<String, Object>) file.get("datasets");
            assertEquals(e.getValue().size(), rows.size(), e.getKey() + " seed " + seed + ": " + rows.keySet());
            for (TestTensors.Mem m : e.getValue()) {
                String at = e.getKey() + " tensor " + m.name() + " " + m.spec() + " seed " + seed;
                List<Object> row = (List<Object>) rows.get(m.name());
                assertTrue(row != null, at + ": h5py has no such dataset among " + rows.keySet());
                DType t = m.spec().dtype();
                // BF16 as Keras 3 writes a bfloat16 variable: h5py gives its bits as 'V2', marked dtype = "bfloat16" (a str)
                assertEquals(t == DType.BF16 ? "|V2" : (t.bits() == 8 ? "|" : "<") + t.numpyCode().orElseThrow(), row.get(0), at);
                assertEquals(t == DType.BF16 ? "bfloat16" : "(none)", row.get(3) instanceof String marker ? marker : "(none)",
                        at + ": Keras' marker");
                long[] dims = ((List<Object>) row.get(1)).stream().mapToLong(o -> ((BigInteger) o).longValueExact()).toArray();
                assertEquals(m.spec().shape(), dev.coral.tensor.Shape.of(dims), at);
                byte[] cOrder;
                try (var in = FortranToC.needed(m.spec()) ? FortranToC.openTransposed(m, "test") : m.openStream()) {
                    cOrder = in.readAllBytes();
                }
                assertEquals(TestTensors.sha256(cOrder), row.get(2), at);
            }
            assertEquals(metadata.get(e.getKey()), file.get("attrs"), e.getKey());
        }
    }
}
