package dev.coral.testutil;

import java.util.Arrays;
import java.util.Random;

/** Seeded damage to a file's bytes, as the damage tests apply it. */
public final class Damage {
    /** Little-endian values that lying lengths, counts, offsets and dimensions are made of. */
    private static final long[] EDGE_VALUES = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFFL, 0x8000_0000L,
            0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE};

    private Damage() {
    }

    /**
     * A copy of {@code whole} with 1-4 changes: mostly a random byte or a flipped bit, sometimes a
     * 2-, 4- or 8-byte little-endian edge value written over a field (a lying length or shape), and
     * sometimes the copy cut short.
     */
    public static byte[] of(byte[] whole, Random r) {
        byte[] damaged = whole.clone();
        int changes = 1 + r.nextInt(4);
        for (int k = 0; k < changes && damaged.length > 0; k++) {
            int kind = r.nextInt(10);
            int at = r.nextInt(damaged.length);
            if (kind < 7) {
                damaged[at] = r.nextBoolean() ? (byte) r.nextInt(256) : (byte) (damaged[at] ^ (1 << r.nextInt(8)));
            } else if (kind < 9) {
                long v = EDGE_VALUES[r.nextInt(EDGE_VALUES.length)];
                int width = 2 << r.nextInt(3);
                for (int b = 0; b < width && at + b < damaged.length; b++) {
                    damaged[at + b] = (byte) (v >>> (8 * b));
                }
            } else {
                damaged = Arrays.copyOf(damaged, at);
            }
        }
        return damaged;
    }
}
