package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.coral.tensor.DType;
import org.junit.jupiter.api.Test;

/** The written-out equals and hash code of {@link ShapeKey} agree with what a record's would. */
class ShapeKeyTest {
    @Test
    void equalExactlyWhenDtypeAndElementCountAre() {
        for (DType t : DType.values()) {
            for (long n : new long[] {0, 1, 4096, Long.MAX_VALUE}) {
                ShapeKey k = new ShapeKey(t, n);
                assertEquals(k, new ShapeKey(t, n));
                assertEquals(k.hashCode(), new ShapeKey(t, n).hashCode());
                assertNotEquals(k, new ShapeKey(t, n ^ 1));
                assertNotEquals(k, new ShapeKey(t == DType.F32 ? DType.BF16 : DType.F32, n));
                assertNotEquals(k, null);
                assertNotEquals(k, (Object) ("" + n));
            }
        }
    }
}
