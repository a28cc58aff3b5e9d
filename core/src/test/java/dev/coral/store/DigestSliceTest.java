package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.security.MessageDigest;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Bytes hashed in slices ({@link ObjectId#update}) give the digest of the bytes hashed in one call. */
class DigestSliceTest {
    private static final int S = ObjectId.DIGEST_SLICE;

    @Test
    void lengthsAroundTheSliceHashAsOneUpdate() {
        SplittableRandom r = new SplittableRandom(41);
        for (int len : new int[] {0, 1, 63, 64, 65, S - 1, S, S + 1, 2 * S, 3 * S + 7}) {
            for (int off : new int[] {0, 1, 13}) {
                check(r, off, len, "offset " + off + ", length " + len);
            }
        }
    }

    @RepeatedTest(10)
    void randomRangesHashAsOneUpdate(RepetitionInfo rep) {
        long seed = 4100 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        check(r, r.nextInt(100), r.nextInt(5 * S), "seed " + seed);
    }

    private static void check(SplittableRandom r, int off, int len, String what) {
        byte[] b = new byte[off + len + 5];
        r.nextBytes(b);
        MessageDigest whole = ObjectId.sha256();
        whole.update(b, off, len);
        MessageDigest sliced = ObjectId.sha256();
        sliced.update(b, 0, 3); // a digest part-way through a block
        ObjectId.update(sliced, b, off, len);
        MessageDigest expected = ObjectId.sha256();
        expected.update(b, 0, 3);
        expected.update(b, off, len);
        assertArrayEquals(expected.digest(), sliced.digest(), what);
        assertArrayEquals(whole.digest(), ObjectId.hashOf(b, off, len).toBytes(), what);
    }
}
