package dev.coral.similarity;

/** Fixed 64-bit mixing (the SplitMix64 finalizer): part of sketch format version 1, never change it. */
final class Mix {
    private Mix() {
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
