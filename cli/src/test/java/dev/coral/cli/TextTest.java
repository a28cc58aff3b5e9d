package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void aCountTakesItsNounInTheSingularOnlyForOne() {
        assertEquals("0 chunks", Text.count(0, "chunk"));
        assertEquals("1 chunk", Text.count(1, "chunk"));
        assertEquals("2 chunks", Text.count(2, "chunk"));
        assertEquals("1 delta chunk", Text.count(1, "delta chunk"));
        assertEquals("12345678901 reachable objects", Text.count(12_345_678_901L, "reachable object"));
    }

    @Test
    void bytesUseDecimalUnits() {
        assertEquals("999 B", Text.bytes(999));
        assertEquals("1.00 kB", Text.bytes(1000));
        assertEquals("84.2 MB", Text.bytes(84_181_544));
        assertEquals("1.47 MB", Text.bytes(1_474_444));
        assertEquals("1.50 MB", Text.bytes(1_500_000));
    }
}
