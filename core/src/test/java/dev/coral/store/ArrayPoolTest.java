package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class ArrayPoolTest {
    @Test
    void anArrayGivenBackServesANeedItCovers() {
        ArrayPool pool = new ArrayPool(1000);
        byte[] fresh = pool.take(100, 300);
        assertEquals(300, fresh.length, "nothing kept: a new array of the size asked for");
        assertEquals(500, pool.take(500, 300).length, "never shorter than the need");
        pool.give(fresh);
        assertEquals(300, pool.bytes());
        assertNotSame(fresh, pool.take(301, 0), "too short for the need");
        assertSame(fresh, pool.take(300, 0));
        assertEquals(0, pool.bytes());
    }

    @Test
    void aNeedTakesTheShortestArrayThatCoversIt() {
        ArrayPool pool = new ArrayPool(10_000);
        byte[] large = new byte[4000];
        byte[] small = new byte[100];
        byte[] middle = new byte[1000];
        pool.give(large);
        pool.give(small);
        pool.give(middle);
        assertSame(small, pool.take(50, 0), "not the newest: the shortest that covers it");
        assertSame(middle, pool.take(500, 0));
        assertSame(large, pool.take(500, 0), "the only one left that covers it");
        assertEquals(0, pool.bytes());
    }

    @Test
    void theOldestLeaveToStayWithinTheBudgetAndNothingLargerIsKept() {
        ArrayPool pool = new ArrayPool(1000);
        byte[] a = new byte[400];
        byte[] b = new byte[400];
        byte[] c = new byte[400];
        pool.give(a);
        pool.give(b);
        pool.give(c);
        assertEquals(800, pool.bytes(), "a left for c");
        assertSame(c, pool.take(1, 0), "the newest first");
        assertSame(b, pool.take(1, 0));
        pool.give(new byte[1001]);
        pool.give(new byte[0]);
        assertEquals(0, pool.bytes(), "an array past the budget, or empty, is not kept");
    }

    /** Seeded random takes and gives: no array is ever lent twice at once, and the budget always holds. */
    @RepeatedTest(20)
    void noArrayIsLentTwiceAndTheBudgetHolds(RepetitionInfo info) {
        long seed = 31L * info.getCurrentRepetition();
        Random r = new Random(seed);
        long budget = 1 + r.nextInt(5000);
        ArrayPool pool = new ArrayPool(budget);
        List<byte[]> lent = new ArrayList<>();
        IdentityHashMap<byte[], Boolean> out = new IdentityHashMap<>();
        for (int step = 0; step < 500; step++) {
            if (lent.isEmpty() || r.nextBoolean()) {
                int min = r.nextInt(2000);
                byte[] a = pool.take(min, r.nextInt(2000));
                assertTrue(a.length >= min, "seed " + seed + ": " + a.length + " < " + min);
                assertTrue(out.put(a, Boolean.TRUE) == null, "seed " + seed + ": an array lent twice");
                lent.add(a);
            } else {
                byte[] a = lent.remove(r.nextInt(lent.size()));
                out.remove(a);
                pool.give(a);
            }
            assertTrue(pool.bytes() <= budget, "seed " + seed + ": " + pool.bytes() + " bytes kept, budget " + budget);
        }
    }
}
