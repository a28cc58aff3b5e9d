package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link Streams#copyExactly} passes on exactly the promised bytes, whole blocks or a byte at a
 * time, feeding the CRC the same bytes; a stream one byte short or long is a one-line error
 * naming the tensor.
 */
class StreamsTest {
    /** A stream that hands out at most 1-7 bytes per read, with the default transferTo. */
    private static InputStream trickling(byte[] b, Random r) {
        return new FilterInputStream(new ByteArrayInputStream(b)) {
            @Override
            public int read(byte[] dst, int off, int len) throws IOException {
                return super.read(dst, off, Math.min(len, 1 + r.nextInt(7)));
            }
        };
    }

    @RepeatedTest(20)
    void exactLengthsPassAndShortOrLongStreamsAreNamed() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        int n = r.nextInt(3) == 0 ? r.nextInt(3) : r.nextInt(300_000);
        byte[] b = new byte[n];
        r.nextBytes(b);
        for (boolean whole : new boolean[] {true, false}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CRC32 crc = new CRC32();
            Streams.copyExactly(whole ? new ByteArrayInputStream(b) : trickling(b, r), out, crc, n, "t");
            assertArrayEquals(b, out.toByteArray(), "seed " + seed);
            CRC32 want = new CRC32();
            want.update(b);
            assertEquals(want.getValue(), crc.getValue(), "seed " + seed);
            CRC32 checkOnly = new CRC32();
            Streams.copyExactly(new ByteArrayInputStream(b), null, checkOnly, n, "t");
            assertEquals(want.getValue(), checkOnly.getValue(), "seed " + seed);

            byte[] longer = Arrays.copyOf(b, n + 1);
            BadInputException more = assertThrows(BadInputException.class, () -> Streams.copyExactly(
                    whole ? new ByteArrayInputStream(longer) : trickling(longer, r), new ByteArrayOutputStream(), null, n, "f: tensor 'w'"));
            assertEquals("f: tensor 'w': stream has more than the expected " + n + " bytes", more.getMessage(), "seed " + seed);
            if (n > 0) {
                byte[] shorter = Arrays.copyOf(b, n - 1);
                BadInputException less = assertThrows(BadInputException.class, () -> Streams.copyExactly(
                        whole ? new ByteArrayInputStream(shorter) : trickling(shorter, r), null, null, n, "f: tensor 'w'"));
                assertTrue(less.getMessage().equals("f: tensor 'w': stream ended after " + (n - 1) + " of " + n + " bytes"), less.getMessage());
            }
        }
    }
}
