package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link HeapInputStream}: lending and reading take the same bytes in turn, in place. */
class HeapInputStreamTest {
    @Test
    void lendsInPlaceBetweenReads() {
        byte[] a = new byte[20];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) i;
        }
        HeapInputStream in = new HeapInputStream(a, 3, 12); // bytes 3..14
        assertSame(a, in.array());
        assertEquals(3, in.read());
        assertEquals(4, in.lend(5), "bytes 4..8, in place");
        byte[] two = new byte[2];
        assertEquals(2, in.read(two, 0, 2));
        assertArrayEquals(new byte[] {9, 10}, two);
        assertEquals(4, in.available());
        assertEquals(-1, in.lend(5), "only 4 left");
        assertEquals(4, in.available(), "a refused lend moves nowhere");
        assertEquals(11, in.lend(4));
        assertEquals(-1, in.read());
        assertEquals(15, in.lend(0), "nothing left to lend but nothing");
        assertEquals(-1, in.lend(-1));
    }

    @Test
    void readsAsAByteArrayInputStreamDoes() {
        byte[] a = new byte[100];
        Arrays.fill(a, (byte) 7);
        HeapInputStream in = new HeapInputStream(a, 90, 50); // clipped to the array, as ByteArrayInputStream is
        assertEquals(10, in.available());
        assertEquals(10, in.readAllBytes().length);
    }
}
