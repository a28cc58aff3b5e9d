package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Arrays come back only at their exact length, once each, and the oldest leaves past the limit. */
class SpareArraysTest {
    @Test
    void anArrayComesBackOnceAtItsExactLength() {
        SpareArrays spare = new SpareArrays(2);
        assertNull(spare.take(8));
        byte[] a = new byte[8];
        byte[] b = new byte[16];
        spare.give(a);
        spare.give(b);
        assertNull(spare.take(12), "no array of another length, longer or shorter");
        assertSame(b, spare.take(16));
        assertSame(a, spare.take(8));
        assertNull(spare.take(8), "each array is taken once");
    }

    @Test
    void theOldestLeavesPastTheLimit() {
        SpareArrays spare = new SpareArrays(2);
        byte[] first = new byte[4];
        byte[] second = new byte[4];
        byte[] third = new byte[4];
        spare.give(first);
        spare.give(second);
        spare.give(third);
        assertSame(second, spare.take(4));
        assertSame(third, spare.take(4));
        assertNull(spare.take(4), "the first left when the third came");
    }

    @Test
    void theOldestLeavesPastTheByteLimitButOneArrayAlwaysStays() {
        SpareArrays spare = new SpareArrays(Integer.MAX_VALUE, 10);
        byte[][] a = {new byte[4], new byte[4], new byte[4]};
        for (byte[] x : a) {
            spare.give(x);
        }
        assertSame(a[1], spare.take(4), "12 bytes past 10: the first left");
        byte[] big = new byte[64];
        spare.give(big);
        assertSame(big, spare.take(64), "one array past the limit stays: it is the one to reuse");
        assertNull(spare.take(4), "the others left for it");
    }
}
