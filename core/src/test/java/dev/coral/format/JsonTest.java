package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesValues() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\\u00e9\\n\\\"\"], \"b\": {}} ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(BigInteger.ONE, a.get(0));
        assertEquals(BigInteger.valueOf(-2), a.get(1));
        assertEquals(new java.math.BigDecimal("3.5"), a.get(2));
        assertEquals(Boolean.TRUE, a.get(4));
        assertEquals(Json.NULL, a.get(6));
        assertEquals("x\u00e9\n\"", a.get(7));
        assertEquals(Map.of(), m.get("b"));
        assertEquals("\ud83d\ude00", Json.parse("\"\\ud83d\\ude00\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":1,}", "[1,]", "{\"a\":1,\"a\":2}", "01", "1.", ".5", "-", "\"\\x\"",
        "\"a\u0001\"", "\"\\ud800\"", "tru", "{} x", "{'a':1}", "{\"a\" 1}", "[1 2]", "nul", "+1", "1e"})
    void rejects(String text) {
        assertThrows(Json.SyntaxException.class, () -> Json.parse(text), text);
    }

    @Test
    void rejectsDeepNesting() {
        assertThrows(Json.SyntaxException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)));
    }

    @RepeatedTest(50)
    void stringsRoundTrip(RepetitionInfo info) throws Exception {
        long seed = 9_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < r.nextInt(20); i++) {
            int cp;
            do {
                cp = r.nextInt(4) == 0 ? r.nextInt(0x80) : r.nextInt(0x10FFFF);
            } while (cp >= 0xD800 && cp <= 0xDFFF);
            s.appendCodePoint(cp);
        }
        StringBuilder out = new StringBuilder();
        Json.writeString(out, s.toString());
        assertEquals(s.toString(), Json.parse(out.toString()), "seed " + seed);
    }

    /** Members one at a time, in order, with parse's checks: duplicate keys, content after the object, not an object, long arrays. */
    @Test
    void forEachMemberHandsOverMembersInOrderWithParsesChecks() throws Exception {
        List<String> seen = new java.util.ArrayList<>();
        Json.<RuntimeException>forEachMember(" {\"b\": [1, 2], \"a\": {\"x\": null}} ", 10, (k, v) -> seen.add(k + "=" + v));
        assertEquals(List.of("b=[1, 2]", "a={x=" + Json.NULL + "}"), seen);
        Json.<RuntimeException>forEachMember("{}", 10, (k, v) -> seen.add(k));
        assertEquals(2, seen.size());
        for (String bad : List.of("{\"a\": 1, \"a\": 2}", "{\"a\": 1} x", "[1]", "{\"a\": [1, 2, 3]}", "{\"a\": }")) {
            assertThrows(Json.SyntaxException.class, () -> Json.<RuntimeException>forEachMember(bad, 2, (k, v) -> { }), bad);
        }
        IllegalStateException stop = assertThrows(IllegalStateException.class, () -> Json.<IllegalStateException>forEachMember(
                "{\"a\": 1, \"b\": 2}", 10, (k, v) -> {
                    throw new IllegalStateException(k);
                }));
        assertEquals("a", stop.getMessage(), "the visitor's own failure stops the walk at its member");
    }
}
