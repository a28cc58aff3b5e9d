package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import org.junit.jupiter.api.Test;

class SimilarityCheckTest {
    @Test
    void countsEqualHighBytesAndLeadingBits() {
        SimilarityCheck check = new SimilarityCheck();
        // four fp32 units, little-endian: top bytes equal in 3 of 4, top 16 bits in 2
        byte[] a = {0, 0, 0x10, 0x3F, 0, 0, 0x20, 0x3F, 0, 0, 0x30, 0x3F, 0, 0, 0x40, 0x3F};
        byte[] b = {0, 0, 0x10, 0x3F, 0, 0, 0x20, 0x3F, 0, 0, 0x31, 0x3F, 0, 0, 0x40, (byte) 0xBF};
        SimilarityCheck.Result r = check.compare(DType.F32, a, b);
        assertEquals(4, r.samples());
        assertEquals(0.75, r.agreement());
        assertEquals(0.5, r.top16Agreement());
        assertEquals((32 + 32 + 15 + 0) / 4.0, r.meanEqualLeadingBits());
        assertTrue(r.similar());
        assertFalse(new SimilarityCheck(0.8).compare(DType.F32, a, b).similar());
        assertEquals(1.0, check.compare(DType.F32, a, a).agreement());
        assertEquals(32.0, check.compare(DType.F32, a, a).meanEqualLeadingBits());

        // 1-byte units: the whole value
        SimilarityCheck.Result i8 = check.compare(DType.I8, new byte[] {1, 2, 3, 4}, new byte[] {1, 2, 3, 5});
        assertEquals(0.75, i8.agreement());
        assertEquals(0.75, i8.top16Agreement());
        // 16-byte units: leading bits counted over the top 8 bytes
        byte[] c = new byte[16];
        byte[] d = new byte[16];
        d[8] = 1;
        assertEquals(63.0, check.compare(DType.F128, c, d).meanEqualLeadingBits());
    }

    @Test
    void refusesMismatchedSamples() {
        SimilarityCheck check = new SimilarityCheck();
        assertThrows(IllegalArgumentException.class, () -> check.compare(DType.F32, new byte[8], new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> check.compare(DType.F32, new byte[6], new byte[6]));
        assertThrows(IllegalArgumentException.class, () -> new SimilarityCheck(1.5));
        assertThrows(IllegalArgumentException.class, () -> new SimilarityCheck(Double.NaN));
        assertFalse(check.compare(DType.F32, new byte[0], new byte[0]).similar());
        assertEquals(SimilarityCheck.DEFAULT_MIN_AGREEMENT, check.minAgreement());
    }
}
