package dev.coral.store;

/**
 * How delta chains are laid out. Versions come in runs of {@code run}: each version inside a run
 * is a delta against the one before it (distance 1: the smallest deltas, as the offline bound
 * makes them); the first version of each run is a skip-delta against the first of an earlier run
 * (run number m against run m & (m-1)). A keyframe starts afresh every
 * {@link #versionsPerKeyframe()} versions. No chain is longer than {@code maxDepth} deltas:
 * at most {@code maxDepth - run + 1} skip links and {@code run - 1} links inside a run.
 * {@code run == 1} is plain skip-delta (version n against n & (n-1)).
 *
 * <p>Measured (training scenario, 200 Adam steps, ratio as a fraction of the offline bound
 * "XOR with the previous step + planes + zstd -19", fp32 / BF16): depth 5 run 1 0.963 / 0.838;
 * depth 8 run 4 0.977 / 0.896; depth 10 run 6 0.984 / 0.925; depth 12 run 8 0.990 / 0.952;
 * depth 16 run 12 0.995 / 0.977. The zstd level made no difference; the distance to the base did.
 *
 * <p>Against the cheapest layout of the same bound (perf {@code ChainLayoutProbe}, 2026-12-03: any
 * tree a new version can follow down the previous version's chain, found by dynamic programming
 * with the measured cost of a delta by its span): depth 12, 256 versions a keyframe, the cheapest
 * stores 0.42% less in fp32 and 2.45% less in BF16 than runs of 8, but a read then decodes 7.13
 * deltas on average instead of 6.02 (runs that use the whole bound: 12 steps, then 11, ...); held
 * to about the same mean depth (6.29), 1.48% less in BF16 and nothing in fp32.
 */
public record ChainShape(int maxDepth, int run) {
    /** Depths above this would need more than 24 bits of sequence; far beyond any useful bound. */
    public static final int MAX_DEPTH = 24;

    public ChainShape {
        if (maxDepth < 0 || maxDepth > MAX_DEPTH) {
            throw new IllegalArgumentException("delta chain depth must be between 0 and " + MAX_DEPTH + ": " + maxDepth);
        }
        if (run < 1 || run > Math.max(1, maxDepth)) {
            throw new IllegalArgumentException("delta run must be between 1 and the chain depth (" + maxDepth + "): " + run);
        }
    }

    /** Plain skip-delta chains of at most {@code maxDepth} deltas. */
    public static ChainShape skipDelta(int maxDepth) {
        return new ChainShape(maxDepth, 1);
    }

    private int skipDepth() {
        return maxDepth - run + 1;
    }

    /** Versions from one keyframe to the next (0: never delta-encode). */
    public long versionsPerKeyframe() {
        return maxDepth == 0 ? 0 : (long) run << skipDepth();
    }

    /** The version (since the keyframe, 0) that version {@code n >= 1} is a delta against. */
    public long baseOf(long n) {
        if (n % run != 0) {
            return n - 1;
        }
        long m = n / run;
        return run * (m & (m - 1));
    }

    /**
     * The last version (before the next keyframe) that is a delta against version {@code n}, or
     * -1 when none is: inside a run, the version after it; the first of run m also serves the
     * runs m + 2^j for 2^j below m's lowest set bit (the keyframe: every power of two).
     */
    public long lastUserOf(long n) {
        long versions = versionsPerKeyframe();
        if (n < 0 || n >= versions) {
            return -1;
        }
        long last = (n + 1) % run != 0 && n + 1 < versions ? n + 1 : -1;
        if (n % run == 0) {
            long m = n / run;
            long runs = versions / run;
            long span = m == 0 ? Long.highestOneBit(runs - 1) : Long.lowestOneBit(m) / 2;
            if (span > 0 && m + span < runs) {
                last = Math.max(last, (m + span) * run);
            }
        }
        return last;
    }

    /** The first version after {@code n} that is not a delta against the version before it (a skip link), or -1 when the next keyframe comes first. */
    public long nextSkipLink(long n) {
        long versions = versionsPerKeyframe();
        for (long w = n + 1; w < versions; w++) {
            if (baseOf(w) != w - 1) {
                return w;
            }
        }
        return -1;
    }

    /** Deltas on the chain of version {@code n} (0 for the keyframe). */
    public int depthOf(long n) {
        return Long.bitCount(n / run) + (int) (n % run);
    }
}
