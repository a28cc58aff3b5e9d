package dev.coral.perf.stress;

import java.util.Arrays;

/** Percentiles of measured times. */
final class Percentile {
    private Percentile() {
    }

    /** The p-th percentile of {@code v} (nearest rank; 50: the median). */
    static double of(double[] v, int p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * p / 100)];
    }
}
