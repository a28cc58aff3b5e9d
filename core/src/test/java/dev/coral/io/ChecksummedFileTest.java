package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class ChecksummedFileTest {
    @RepeatedTest(50)
    void anySingleFlippedByteIsDetected(RepetitionInfo info) {
        long seed = 1000L + info.getCurrentRepetition();
        Random r = new Random(seed);
        byte[] body = new byte[r.nextInt(200)];
        r.nextBytes(body);
        byte[] file = ChecksummedFile.encode("CORALTST", 1, body);
        int at = r.nextInt(file.length);
        file[at] ^= (byte) (1 + r.nextInt(255));
        assertThrows(IOException.class, () -> ChecksummedFile.decode("t", file, "CORALTST", 1, 1), "seed " + seed + " flip at " + at);
    }

    @Test
    void roundTripsAndRejectsNewerVersions() throws IOException {
        byte[] body = {1, 2, 3};
        assertArrayEquals(body, ChecksummedFile.decode("t", ChecksummedFile.encode("CORALTST", 1, body), "CORALTST", 1, 1).bytes());
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class,
                () -> ChecksummedFile.decode("refs/heads/main", ChecksummedFile.encode("CORALTST", 2, body), "CORALTST", 1, 1));
        assertTrue(e.getMessage().startsWith("refs/heads/main: format version 2"), e.getMessage());
        assertThrows(CorruptObjectException.class, () -> ChecksummedFile.decode("t", new byte[5], "CORALTST", 1, 1));
    }
}
