package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * numpy as an independent judge of {@code merge --strategy average} and {@code weighted=W}: two
 * branches change every tensor of a model (F64, F32, F16, with random bits: NaN payloads, -0.0,
 * infinities, subnormals, and elements left equal), Coral merges them, and numpy computes each
 * element from the two versions itself ({@code (1 - w) * o + w * t} in float64, cast to the dtype;
 * equal bits kept) and compares bit for bit with the file the merge checked out.
 */
class MergeInteropTest {
    @TempDir
    Path dir;

    private static final String PY = String.join("\n",
            "import sys, json, struct",
            "import numpy as np",
            "def load(p):",
            "    raw = open(p, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); b = 8 + n",
            "    dt = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2'}",
            "    return {k: np.frombuffer(raw[b + v['data_offsets'][0]:b + v['data_offsets'][1]], dt[v['dtype']])",
            "            for k, v in h.items() if k != '__metadata__'}",
            "o, t, m = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3]); w = float(sys.argv[4])",
            "bad = {}",
            "with np.errstate(all='ignore'):",
            "    for k in m:",
            "        x = o[k].astype('<f8'); y = t[k].astype('<f8')",
            "        if w == 0.5:",
            "            s = x + y",
            "            mean = np.where(np.isinf(s) & np.isfinite(x) & np.isfinite(y), x * 0.5 + y * 0.5, s * 0.5)",
            "        else:",
            "            mean = (1 - w) * x + w * y",
            "        want = mean.astype(m[k].dtype)",
            "        u = 'u%d' % m[k].dtype.itemsize",
            "        same = o[k].view(u) == t[k].view(u)",
            "        want = np.where(same, o[k], want)",
            "        nan = np.isnan(want) & np.isnan(m[k])",
            "        bad[k] = int(np.sum((want.view(u) != m[k].view(u)) & ~(nan & ~same)))",
            "print(json.dumps(bad))");

    private static List<TensorSource> model(long seed, List<TensorSource> like) {
        Random r = new Random(seed);
        List<TensorSource> out = new ArrayList<>();
        DType[] types = {DType.F64, DType.F32, DType.F16};
        for (int i = 0; i < types.length; i++) {
            int n = 2000;
            byte[] b = new byte[n * types[i].elementBytes()];
            r.nextBytes(b);
            if (like != null) { // about half the elements stay as they were: kept bit for bit
                byte[] was = ((Mem) like.get(i)).bytes();
                int w = types[i].elementBytes();
                for (int e = 0; e < n; e++) {
                    if (r.nextBoolean()) {
                        System.arraycopy(was, e * w, b, e * w, w);
                    }
                }
            }
            out.add(new Mem("t" + types[i], TensorSpec.of(types[i], n), b));
        }
        return out;
    }

    /** A tensor in memory. */
    private record Mem(String name, TensorSpec spec, byte[] bytes) implements TensorSource {
        @Override
        public java.io.InputStream openStream() {
            return new java.io.ByteArrayInputStream(bytes);
        }
    }

    private Path write(String name, List<TensorSource> tensors) throws Exception {
        Path p = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(p)) {
            WeightFormats.byName("safetensors").orElseThrow().write(tensors, Map.of(), out);
        }
        return p;
    }

    @Test
    void numpyAgreesWithEveryAveragedElement() throws Exception {
        String python = dev.coral.testutil.Python.require("numpy", "merge interop", "Debian: apt-get install python3-numpy");
        for (String strategy : List.of("average", "weighted=0.3")) {
            Path root = Files.createDirectories(dir.resolve(strategy));
            try (Repository repo = Repository.init(root)) {
                List<TensorSource> base = model(1, null);
                write(strategy + "/m.safetensors", base);
                repo.commit(CommitRequest.of("base"), List.of(root.resolve("m.safetensors")));
                repo.createBranch("exp", "HEAD");
                repo.switchBranch("exp", false, false);
                Path theirs = write(strategy + "/m.safetensors", model(2, base));
                Files.copy(theirs, dir.resolve(strategy + "-theirs.safetensors"));
                repo.commit(CommitRequest.of("exp"), List.of(root.resolve("m.safetensors")));
                repo.switchBranch("main", false, false);
                Path ours = write(strategy + "/m.safetensors", model(3, base));
                Files.copy(ours, dir.resolve(strategy + "-ours.safetensors"));
                repo.commit(CommitRequest.of("main"), List.of(root.resolve("m.safetensors")));
                repo.merge("exp", MergeStrategy.parse(strategy), null, false, CommitRequest.of("x"));
            }
            double w = MergeStrategy.parse(strategy).weight();
            String out = dev.coral.testutil.Python.output(List.of(python, "-c", PY, dir.resolve(strategy + "-ours.safetensors").toString(),
                    dir.resolve(strategy + "-theirs.safetensors").toString(), root.resolve("m.safetensors").toString(), Double.toString(w)));
            assertEquals("{\"tF64\": 0, \"tF32\": 0, \"tF16\": 0}", out, strategy + ": elements numpy computes otherwise");
        }
    }
}
