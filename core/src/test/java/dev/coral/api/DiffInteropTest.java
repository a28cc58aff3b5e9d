package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.diff.FileChange;
import dev.coral.diff.TensorChange;
import dev.coral.diff.TensorStats;
import dev.coral.format.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * numpy as the independent reckoner of {@link Repository#diff}: two versions of an npz model
 * numpy wrote (testdata/diff, by testdata/make_diff_testdata.py), committed one after the other,
 * give the statuses and figures numpy worked out for them in float64 (expected.json).
 */
class DiffInteropTest {
    @TempDir
    Path dir;

    private static Path testdata() {
        return Path.of(System.getProperty("coral.testdata", "../testdata")).resolve("diff");
    }

    @Test
    @SuppressWarnings("unchecked")
    void figuresEqualNumpys() throws Exception {
        Map<String, Object> expected = (Map<String, Object>) Json.parse(Files.readString(testdata().resolve("expected.json"),
                StandardCharsets.UTF_8));
        List<Object> tensors = (List<Object>) expected.get("model.npz");
        Path model = dir.resolve("model.npz");
        try (Repository repo = Repository.init(dir)) {
            for (String v : List.of("v1.npz", "v2.npz")) {
                Files.copy(testdata().resolve(v), model, StandardCopyOption.REPLACE_EXISTING);
                repo.add(List.of(model));
                repo.commit(CommitRequest.of(v));
            }
            List<FileChange> changes = repo.diff(DiffSide.revision("HEAD~1"), DiffSide.revision("HEAD"), List.of());
            assertEquals(1, changes.size());
            FileChange f = changes.get(0);
            assertEquals("model.npz", f.path());
            assertEquals(FileChange.Kind.MODIFIED, f.kind());
            assertEquals(tensors.size(), f.tensors().size());
            for (int i = 0; i < tensors.size(); i++) {
                Map<String, Object> want = (Map<String, Object>) tensors.get(i);
                TensorChange got = f.tensors().get(i);
                String name = (String) want.get("name");
                assertEquals(name, got.name(), "tensor " + i);
                assertEquals(want.get("status"), got.kind().word(), name);
                if (!want.containsKey("elements")) {
                    continue;
                }
                TensorStats s = got.stats();
                if (got.kind() == TensorChange.Kind.UNCHANGED && s == null) {
                    continue; // stored under one id in both commits: not read
                }
                assertEquals(number(want, "elements"), s.elements(), name);
                assertEquals(number(want, "changed"), s.changed(), name);
                assertEquals(number(want, "nonFinite"), s.nonFinite(), name);
                close(number(want, "maxAbsDiff"), s.maxAbsDiff(), name + " max|d|");
                close(number(want, "l2Diff"), s.l2Diff(), name + " l2");
                close(number(want, "l2From"), s.l2From(), name + " l2 from");
                close(number(want, "l2To"), s.l2To(), name + " l2 to");
                if (!(want.get("cosine") instanceof Number)) { // JSON null: no direction
                    assertTrue(Double.isNaN(s.cosine()), name + " cosine");
                } else {
                    close(number(want, "cosine"), s.cosine(), name + " cosine");
                }
            }
            assertNull(repo.diff(DiffSide.revision("HEAD"), DiffSide.WORK_TREE, List.of()).stream().findAny().orElse(null),
                    "the working file is HEAD's");
        }
    }

    private static double number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    private static void close(double want, double got, String what) {
        assertEquals(want, got, Math.max(Math.abs(want), 1e-300) * 1e-9, what);
    }
}
