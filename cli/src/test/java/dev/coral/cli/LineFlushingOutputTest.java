package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineFlushingOutputTest {
    /** Records what reaches it in each write call. */
    private static final class Writes extends OutputStream {
        final List<String> calls = new ArrayList<>();

        @Override
        public void write(int b) {
            calls.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            calls.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    @Test
    void aPrintfLineReachesTheFileInOneWriteOnceItEnds() {
        Writes sink = new Writes();
        PrintStream out = new PrintStream(new LineFlushingOutput(sink, 64), false, StandardCharsets.UTF_8);
        out.printf("  %-6s  %5s", "name", 42);
        assertEquals(List.of(), sink.calls, "nothing is written before the line ends");
        out.printf("  %s%n", "F32");
        out.print("a\nb");
        assertEquals(List.of("  name       42  F32\n", "a\nb"), sink.calls, "a write holding a line feed flushes all before it");
        out.println("é");
        assertEquals("é\n", sink.calls.get(2));
    }

    @Test
    void aLineLongerThanTheBufferIsWrittenWholeBeforeItsEnd() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        LineFlushingOutput out = new LineFlushingOutput(sink, 8);
        out.write("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        assertEquals("0123456789abcdef", sink.toString(StandardCharsets.US_ASCII));
        out.write('x');
        assertEquals(16, sink.size(), "a single byte waits in the buffer");
        out.write('\n');
        assertEquals("0123456789abcdefx\n", sink.toString(StandardCharsets.US_ASCII));
    }
}
