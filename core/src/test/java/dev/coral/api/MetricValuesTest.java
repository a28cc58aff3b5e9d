package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@code --metric NAME=VALUE}: a finite decimal as JSON writes numbers, or nan, inf, -inf. */
class MetricValuesTest {
    @ParameterizedTest
    @ValueSource(strings = {"0", "0.31", "-2", "1e-3", "2.5E+10", "-0.0", "1e-400", "NaN", "inf", "-INF", "123456789012345678901234567890"})
    void takes(String v) throws BadInputException {
        assertEquals(Map.of("loss", v), CommitRequest.parseMetrics(List.of("loss=" + v)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e999", "-1e999", "Infinity", "0x1p3", "1d", "1f", "+1", ".5", "5.", "01", "1_000", "high", "", "- 1", "1e", "∞"})
    void refuses(String v) {
        BadInputException e = assertThrows(BadInputException.class, () -> CommitRequest.parseMetrics(List.of("loss=" + v)));
        assertTrue(e.getMessage().contains("is not a number"), e.getMessage());
    }

    /** Seeded doubles written as Java and as JSON would write them: every finite one is taken as it is written. */
    @Test
    void everyFiniteDoubleInDecimalIsTaken() throws BadInputException {
        long seed = 12;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            double d = Double.longBitsToDouble(r.nextLong());
            if (!Double.isFinite(d)) {
                continue;
            }
            String v = new java.math.BigDecimal(d).toString().replace("E", "e");
            assertEquals(v, CommitRequest.parseMetrics(List.of("m=" + v)).get("m"), "seed " + seed + ", " + d);
        }
    }

    @Test
    void namesKeepControlCharactersAndLoseOnlyWhitespaceAround() throws BadInputException {
        assertEquals(Map.of("lo\u001b", "1", "a", "2"), CommitRequest.parseMetrics(List.of("lo\u001b=1", " a =2")));
    }
}
