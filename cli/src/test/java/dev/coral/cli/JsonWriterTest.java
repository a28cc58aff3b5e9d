package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {
    @Test
    void writesNestedValuesAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\nd\u0001");
        m.put("n", 42L);
        m.put("metric", JsonWriter.number("0.31"));
        m.put("nan", JsonWriter.number("NaN"));
        m.put("list", List.of(1, true));
        m.put("empty", List.of());
        m.put("null", null);
        m.put("shape", new long[] {2, 3});
        assertEquals("{\n  \"s\": \"a\\\"b\\\\c\\nd\\u0001\",\n  \"n\": 42,\n  \"metric\": 0.31,\n  \"nan\": \"NaN\",\n"
                + "  \"list\": [\n    1,\n    true\n  ],\n  \"empty\": [],\n  \"null\": null,\n  \"shape\": [2, 3]\n}",
                JsonWriter.write(m));
    }
}
