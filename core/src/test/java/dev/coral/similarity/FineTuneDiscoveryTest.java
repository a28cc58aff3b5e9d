package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fine-tunes of one base are found by content alone and pass the check; unrelated tensors of
 * the same shape and distribution do not. fp32 and its BF16 truncation, several seeds; the
 * Hamming distances are printed.
 */
class FineTuneDiscoveryTest {
    static final Shape SHAPE = Shape.of(400, 500);

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (long seed : new long[] {20260101L, 7L, 99L}) {
            out.add(Arguments.of(DType.F32, seed));
            out.add(Arguments.of(DType.BF16, seed));
        }
        return out.stream();
    }

    static ObjectId id(String name) {
        return ObjectId.hashOf(name.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("cases")
    void fineTunesFindTheirBaseAndUnrelatedTensorsDoNot(DType dtype, long seed) {
        String where = dtype + " seed=" + seed;
        SimilarityTestData d = new SimilarityTestData(seed, 200_000, 4);
        Function<float[], byte[]> enc = dtype == DType.F32 ? SimilarityTestData::f32 : SimilarityTestData::bf16;
        SimilarityCheck check = new SimilarityCheck();

        LshIndex index = new LshIndex();
        ObjectId baseId = id("base");
        byte[] baseBytes = enc.apply(d.base);
        SketchBuilder baseBuilder = new SketchBuilder(dtype, SHAPE).update(0, baseBytes);
        TensorSketch base = baseBuilder.build();
        index.put(baseId, base);
        Set<ObjectId> family = new HashSet<>(List.of(baseId));
        List<ObjectId> ftIds = new ArrayList<>();
        List<SketchBuilder> ftBuilders = new ArrayList<>();
        for (int i = 0; i < d.fineTunes.size(); i++) {
            ObjectId ftId = id("ft" + i);
            SketchBuilder b = new SketchBuilder(dtype, SHAPE).update(0, enc.apply(d.fineTunes.get(i)));
            index.put(ftId, b.build());
            ftIds.add(ftId);
            ftBuilders.add(b);
            family.add(ftId);
        }
        List<ObjectId> unrelatedIds = new ArrayList<>();
        List<SketchBuilder> unrelatedBuilders = new ArrayList<>();
        for (int i = 0; i < d.unrelated.size(); i++) {
            ObjectId uId = id("unrelated" + i);
            SketchBuilder b = new SketchBuilder(dtype, SHAPE).update(0, enc.apply(d.unrelated.get(i)));
            index.put(uId, b.build());
            unrelatedIds.add(uId);
            unrelatedBuilders.add(b);
        }

        StringBuilder figures = new StringBuilder(where + " Hamming to base (of 128):");
        for (int i = 0; i < ftIds.size(); i++) {
            TensorSketch ft = index.get(ftIds.get(i)).orElseThrow();
            List<LshIndex.Candidate> c = index.candidates(ft, 3, 128, ftIds.get(i));
            String what = where + " fine-tune lr=" + SimilarityTestData.LEARNING_RATES[i];
            assertTrue(family.contains(c.get(0).id()), what + ": top candidate is not the base or a sibling: " + c);
            ObjectId chosen = index.bestBase(ft, check, 8, ftIds.get(i)).orElseThrow().id();
            assertTrue(family.contains(chosen), what + ": best base " + chosen);
            SimilarityCheck.Result bySketch = check.compare(ft, base);
            SimilarityCheck.Result byFullSample = check.compare(dtype, ftBuilders.get(i).sampleBytes(), baseBuilder.sampleBytes());
            assertTrue(bySketch.similar(), what + ": check on sketches failed: " + bySketch);
            assertTrue(byFullSample.similar(), what + ": check on full samples failed: " + byFullSample);
            figures.append(String.format(" ft(lr=%.4f)=%d [high-byte agreement %.3f, chance %.3f, equal leading bits %.1f]",
                    SimilarityTestData.LEARNING_RATES[i], ft.distance(base), byFullSample.agreement(),
                    byFullSample.chanceAgreement(), byFullSample.meanEqualLeadingBits()));
        }
        for (int i = 0; i < unrelatedIds.size(); i++) {
            TensorSketch u = index.get(unrelatedIds.get(i)).orElseThrow();
            String what = where + " unrelated " + i;
            SimilarityCheck.Result bySketch = check.compare(u, base);
            SimilarityCheck.Result byFullSample = check.compare(dtype, unrelatedBuilders.get(i).sampleBytes(), baseBuilder.sampleBytes());
            assertFalse(bySketch.similar(), what + ": check on sketches passed: " + bySketch);
            assertTrue(index.bestBase(u, check, 8, unrelatedIds.get(i)).isEmpty(), what + ": got a base");
            assertFalse(byFullSample.similar(), what + ": check on full samples passed: " + byFullSample);
            for (LshIndex.Candidate c : index.candidates(u, 8, 128, unrelatedIds.get(i))) {
                assertFalse(check.compare(u, c.sketch()).similar(), what + ": candidate " + c.id() + " passed the check");
            }
            figures.append(String.format(" unrelated=%d [agreement %.3f]", u.distance(base), byFullSample.agreement()));
        }
        System.out.println(figures);

        List<Clusters.Cluster> clusters = Clusters.of(index);
        assertEquals(1, clusters.size(), where + ": clusters " + clusters);
        Clusters.Cluster c = clusters.get(0);
        assertEquals(family, new HashSet<>(c.members()), where + ": cluster members");
        assertTrue(family.contains(c.baseId()), where);
        System.out.printf("%s cluster: %d members, medoid is %s, mean distance %.1f%n", where, c.size(),
                c.baseId().equals(baseId) ? "the base" : "a fine-tune", c.meanDistance());
        List<Clusters.Cluster> all = Clusters.of(index, check, 8, true);
        assertEquals(1 + unrelatedIds.size(), all.size(), where + ": with singletons");
    }
}
