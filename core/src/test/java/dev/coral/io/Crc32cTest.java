package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** {@link Crc32c#combine} gives {@link CRC32C} of the concatenation, for any split of any bytes. */
class Crc32cTest {
    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @RepeatedTest(200)
    void combiningThePartsGivesTheWhole(RepetitionInfo rep) {
        long seed = 20261201L * 31 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int[] sizes = {0, 1, 2, 3, 7, 8, 64, 1000, 65_536, 1 << 20};
        int n = r.nextInt(4) == 0 ? sizes[r.nextInt(sizes.length)] : r.nextInt(5000);
        byte[] b = new byte[n];
        r.nextBytes(b);
        if (r.nextBoolean()) {
            java.util.Arrays.fill(b, 0, n / 2, (byte) 0); // runs of zeros, which a CRC of zeros must not confuse
        }
        int cut = n == 0 ? 0 : r.nextInt(n + 1);
        int cut2 = cut + (n == cut ? 0 : r.nextInt(n - cut + 1));
        String where = "seed " + seed + ", " + n + " bytes cut at " + cut + " and " + cut2;
        assertEquals(crc(b, 0, n), Crc32c.combine(crc(b, 0, cut), crc(b, cut, n - cut), n - cut), where);
        int three = Crc32c.combine(Crc32c.combine(crc(b, 0, cut), crc(b, cut, cut2 - cut), cut2 - cut), crc(b, cut2, n - cut2), n - cut2);
        assertEquals(crc(b, 0, n), three, where);
        assertEquals(crc(b, 0, n), Crc32c.of(b, 0, n), where);
    }

    @Test
    void edgeCases() {
        byte[] b = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(0xE3069283, Crc32c.of(b, 0, b.length), "the CRC-32C check value");
        assertEquals(0xE3069283, Crc32c.combine(Crc32c.of(b, 0, 0), Crc32c.of(b, 0, 9), 9), "empty first part");
        assertEquals(0xE3069283, Crc32c.combine(Crc32c.of(b, 0, 9), Crc32c.of(b, 9, 0), 0), "empty second part");
        assertEquals(0, Crc32c.combine(0, 0, 0));
        // lengths past 512 MiB and 4 GiB: appending L zero bytes in two parts equals appending them at once
        // (the zero-byte CRCs built by doubling, as zlib's table would wrap them wrongly for this polynomial)
        int[] zeros = new int[40]; // CRC32C of 2^k zero bytes
        zeros[0] = Crc32c.of(new byte[1], 0, 1);
        for (int k = 1; k < zeros.length; k++) {
            zeros[k] = Crc32c.combine(zeros[k - 1], zeros[k - 1], 1L << (k - 1));
        }
        assertEquals(Crc32c.of(new byte[1 << 20], 0, 1 << 20), zeros[20], "2^20 zero bytes, by doubling");
        for (int k : new int[] {29, 30, 32, 33, 39}) {
            long big = 1L << k;
            int direct = Crc32c.combine(0xE3069283, zeros[k], big);
            int halves = Crc32c.combine(Crc32c.combine(0xE3069283, zeros[k - 1], big / 2), zeros[k - 1], big / 2);
            assertEquals(halves, direct, "2^" + k + " zero bytes appended");
        }
        assertThrows(IllegalArgumentException.class, () -> Crc32c.combine(1, 2, -1));
    }
}
