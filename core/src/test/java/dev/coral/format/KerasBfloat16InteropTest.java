package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * h5py writes HDF5 files holding variables as Keras 3 saves bfloat16 ones (saving_lib's
 * H5IOStore: ml_dtypes' bfloat16 is to h5py an opaque 2-byte type with no tag, here numpy's 'V2',
 * and the dataset gets the attribute {@code dtype="bfloat16"}) beside float32 ones, unmarked 'V2'
 * and 'V4' datasets, in version-1 object headers (h5py's default) or version-2 ones
 * ({@code libver="latest"}, checksummed), now and then with attributes of numpy 'V' values. Coral
 * must read every marked variable as a BF16 tensor holding exactly the bits h5py wrote, keep the
 * unmarked opaque datasets as bytes by name, take only the root's string attribute as metadata,
 * and give the file back byte for byte.
 */
class KerasBfloat16InteropTest {
    @TempDir
    Path dir;

    /** argv: a JSON list of files {path, latest, datasets: [[name, kind, shape, seed]]}; prints each dataset's sha256. */
    private static final String PY = String.join("\n",
            "import sys, json, hashlib",
            "import h5py, numpy as np",
            "out = {}",
            "for spec in json.loads(sys.argv[1]):",
            "    kw = {'libver': 'latest'} if spec['latest'] else {}",
            "    rows = {}",
            "    with h5py.File(spec['path'], 'w', **kw) as f:",
            "        f.attrs['keras_version'] = '3.6.0'",
            "        if spec['odd_attributes']:  # numpy 'V' values, which jhdf cannot read: not metadata, not a refusal",
            "            f.attrs['opaque'] = np.frombuffer(b'ab', dtype='V2')[0]",
            "            f.create_group('other').attrs['opaque'] = np.frombuffer(b'abcd', dtype='V4')[0]",
            "        for name, kind, shape, seed in spec['datasets']:",
            "            rng = np.random.default_rng(seed)",
            "            if kind == 'f4':",
            "                a = rng.standard_normal(shape).astype('<f4')",
            "            else:",
            "                w = 2 if kind in ('bf16', 'v2') else 4",
            "                a = rng.integers(0, 2 ** (8 * w), size=shape, dtype='<u%d' % w).view('V%d' % w)",
            "            ds = f.create_dataset(name, data=a)",
            "            if kind == 'bf16':",
            "                ds.attrs['dtype'] = 'bfloat16'",
            "            rows[name] = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()",
            "    out[spec['path']] = rows",
            "print(json.dumps(out))");

    private record Var(String name, String kind, long[] shape, long seed) {
    }

    @Test
    @SuppressWarnings("unchecked")
    void kerasBfloat16VariablesAreBf16TensorsAndTheFileRestoresByteForByte() throws Exception {
        String python = dev.coral.testutil.Python.require("h5py, numpy", "Keras bfloat16 HDF5 interop",
                "Debian: apt-get install python3-h5py; .ci/run installs it");
        long seed = 20261206;
        Random r = new Random(seed);
        Map<String, List<Var>> files = new HashMap<>();
        Map<String, Boolean> odd = new HashMap<>();
        StringBuilder json = new StringBuilder("[");
        for (int f = 0; f < 16; f++) {
            Path p = dir.resolve("k" + f + ".weights.h5");
            boolean v2Headers = f % 4 == 3;
            List<Var> vars = new ArrayList<>();
            int groups = 1 + r.nextInt(3);
            for (int g = 0; g < groups; g++) {
                String group = "layers/l" + g + "/vars/";
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    String kind = switch (r.nextInt(8)) {
                        case 0 -> "f4";
                        case 1 -> "v2";
                        case 2 -> "v4";
                        default -> "bf16";
                    };
                    vars.add(new Var(group + i, kind, shape(r), r.nextLong() & Long.MAX_VALUE));
                }
            }
            files.put(p.toString(), vars);
            boolean oddAttributes = f % 3 == 1;
            odd.put(p.toString(), oddAttributes);
            json.append(f == 0 ? "" : ",").append("{\"path\":\"").append(p).append("\",\"latest\":").append(v2Headers)
                    .append(",\"odd_attributes\":").append(oddAttributes ? "true" : "false").append(",\"datasets\":[");
            for (int i = 0; i < vars.size(); i++) {
                Var v = vars.get(i);
                json.append(i == 0 ? "" : ",").append("[\"").append(v.name()).append("\",\"").append(v.kind()).append("\",")
                        .append(Arrays.toString(v.shape())).append(",").append(v.seed()).append("]");
            }
            json.append("]}");
        }
        json.append("]");
        Map<String, Object> hashes = (Map<String, Object>) Json.parse(dev.coral.testutil.Python.output(List.of(python, "-c", PY, json.toString())));

        int bf16Tensors = 0;
        for (Map.Entry<String, List<Var>> e : files.entrySet()) {
            Path p = Path.of(e.getKey());
            String msg = p.getFileName() + " (seed " + seed + "; version-2 headers in every fourth file)";
            Map<String, Object> sha = (Map<String, Object>) hashes.get(e.getKey());
            List<String> expectTensors = new ArrayList<>();
            List<String> expectKept = new ArrayList<>();
            for (Var v : e.getValue()) {
                if (v.kind().equals("f4") || v.kind().equals("bf16")) {
                    expectTensors.add(v.name());
                } else {
                    expectKept.add(v.name());
                }
            }
            byte[] whole = Files.readAllBytes(p);
            try (ParsedWeightFile parsed = new Hdf5Format().read(p)) {
                List<String> names = new ArrayList<>();
                for (TensorSource t : parsed.tensors()) {
                    names.add(t.name());
                    Var v = e.getValue().stream().filter(o -> o.name().equals(t.name())).findFirst().orElseThrow();
                    assertEquals(v.kind().equals("bf16") ? DType.BF16 : DType.F32, t.spec().dtype(), msg + ": " + t.name());
                    assertArrayEquals(v.shape(), t.spec().shape().dims(), msg + ": " + t.name());
                    assertEquals(sha.get(t.name()), TestTensors.sha256(TestTensors.readAll(t)), msg + ": " + t.name() + "'s bytes");
                    bf16Tensors += v.kind().equals("bf16") ? 1 : 0;
                }
                assertEquals(sorted(expectTensors), sorted(names), msg + ": tensors");
                assertEquals(sorted(expectKept), sorted(parsed.keptAsBytes()), msg + ": kept as bytes");
                assertArrayEquals(whole, TestTensors.restore(new Hdf5Format(), parsed), msg + ": restored byte for byte");
                assertEquals(Map.of("keras_version", "3.6.0"), parsed.metadata(), msg + ": metadata (odd attributes " + odd.get(e.getKey()) + ")");
            }
        }
        assertTrue(bf16Tensors >= 10, "the seeded files hold bfloat16 variables in version-1 headers: " + bf16Tensors);
    }

    private static long[] shape(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> new long[0];
            case 1 -> new long[] {r.nextInt(3)}; // 0, 1 or 2 elements
            case 2 -> new long[] {1 + r.nextInt(300)};
            default -> new long[] {1 + r.nextInt(40), 1 + r.nextInt(40)};
        };
    }

    private static List<String> sorted(List<String> names) {
        List<String> s = new ArrayList<>(names);
        s.sort(null);
        return s;
    }
}
