package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How long a read waits for a file's stamp to settle ({@link StampSettling}): the rule, case by case and over random stamps. */
class StampSettlingTest {
    private static final long NOW = 1_796_000_000_123_456_789L; // a wall clock in nanoseconds, off a whole second
    private static final long MS = 1_000_000L;

    @ParameterizedTest(name = "stamped {0} ns from now: wait {1} ns")
    @CsvSource({
            "0, 20000000",             // just written: the whole tick
            "-5000000, 15000000",      // 5 ms ago: the rest of it
            "-19999999, 1",
            "-20000000, 0",            // a tick old: any later write is stamped later
            "-25000000, 0",
            "-3600000000000, 0",       // an hour old
            "10000000, 30000000",      // a little ahead of the clock (another clock's stamp): waited for
            "20000000, 40000000",
            "20000001, 0",             // further ahead than the wait covers: read as it is
            "3600000000000, 0",        // a time set by hand an hour ahead
    })
    void fineStamps(long fromNow, long wait) {
        assertEquals(wait, StampSettling.waitNanos(NOW + fromNow, NOW));
    }

    @ParameterizedTest(name = "a whole-second stamp {0} ms before now: wait {1} ms")
    @CsvSource({
            "0, 2020",
            "500, 1520",
            "2019, 1",
            "2020, 0",
            "3000, 0",
            "-1000, 3020",   // a second ahead: still waited for
            "-3000, 0",      // further ahead than two seconds and a tick
    })
    void wholeSecondStamps(long msBefore, long waitMs) {
        long second = 1_796_000_000_000_000_000L;
        assertEquals(waitMs * MS, StampSettling.waitNanos(second, second + msBefore * MS));
    }

    @ParameterizedTest(name = "{0} {1}: multigrain {2}")
    @CsvSource({
            "Linux, 6.13.0, true",
            "Linux, 6.18.44-fc-v1272, true",
            "Linux, 7.0.1, true",
            "Linux, 6.12.9-arch1, false",
            "Linux, 6.6.0, false",     // merged for 6.6 and taken out before its release
            "Linux, 5.15.0-91-generic, false",
            "Linux, 10.1, true",
            "Linux, garbage, false",
            "Linux, 99999999999.1, false",
            "Mac OS X, 24.1, false",
            "FreeBSD, 14.1-RELEASE, false",
    })
    void theKernelsThatStampFinely(String os, String version, boolean multigrain) {
        assertEquals(multigrain, StampSettling.multigrainKernel(os, version));
    }

    @org.junit.jupiter.api.Test
    void coarseTimesCanBeAskedFor(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String was = System.getProperty(StampSettling.PROPERTY);
        System.setProperty(StampSettling.PROPERTY, "coarse");
        try {
            assertEquals(false, StampSettling.finelyStamped(dir, null));
        } finally {
            if (was == null) {
                System.clearProperty(StampSettling.PROPERTY);
            } else {
                System.setProperty(StampSettling.PROPERTY, was);
            }
        }
    }

    @RepeatedTest(200)
    void anyStampWaitsExactlyUntilItIsAWindowOldOrNotAtAll(RepetitionInfo info) {
        long seed = 0x57A3FL * info.getCurrentRepetition();
        Random r = new Random(seed);
        long stamp = NOW + (r.nextBoolean() ? r.nextLong() % (5_000 * MS) : (r.nextLong() % 5) * 1_000_000_000L);
        if (r.nextInt(4) == 0) {
            stamp -= Math.floorMod(stamp, 1_000_000_000L); // whole seconds
        }
        long now = NOW + r.nextLong() % (3_000 * MS);
        long wait = StampSettling.waitNanos(stamp, now);
        long window = stamp % 1_000_000_000L == 0 ? StampSettling.WHOLE_SECONDS_NANOS : StampSettling.FINE_NANOS;
        String where = "seed " + seed + ": stamp " + stamp + ", now " + now;
        assertTrue(wait >= 0 && wait <= 2 * window, where + ": wait " + wait);
        if (wait > 0) {
            assertEquals(stamp + window, now + wait, where + ": waits until the stamp is a window old");
        } else {
            assertTrue(now - stamp >= window || stamp - now > window, where + ": no wait only when old enough or too far ahead");
        }
    }
}
