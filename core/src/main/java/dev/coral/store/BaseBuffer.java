package dev.coral.store;

/**
 * A reusable array that delta bases are decoded into, whose array a read may swap for the array
 * of a recent chunk that held the base's bytes ({@link RecentChunks#exchange}): the base is then
 * served without a copy, and the array given away is reused by the recent chunks. A pack merge
 * reads every entry it copies into one too. Owned by one reader at a time; not thread-safe.
 */
final class BaseBuffer {
    private byte[] array = new byte[0];

    /** The array, grown to at least {@code length} bytes (its contents are stale). */
    byte[] ofAtLeast(int length) {
        if (array.length < length) {
            array = new byte[length];
        }
        return array;
    }

    /** Takes {@code a} as this buffer's array from now on, the old one given away. */
    void replaceWith(byte[] a) {
        array = a;
    }
}
