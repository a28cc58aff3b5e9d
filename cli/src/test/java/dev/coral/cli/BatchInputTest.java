package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral batch}'s input as bytes, and its output going away: what a fuzzing run of the
 * protocol found (2026-12-04). A -C holding a NUL ended the whole batch; bytes that are not UTF-8
 * ran as U+FFFD; a lone carriage return split a line; a byte order mark failed the first line; and
 * a batch whose reader had gone went on committing.
 */
class BatchInputTest {
    @TempDir
    Path dir;

    private record Run(int code, List<Map<?, ?>> replies, String err) {
    }

    private Run batch(byte[] input, OutputStream sink) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(input), new PrintStream(sink == null ? out : sink, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "-C", dir.toString(), "batch");
        List<Map<?, ?>> replies = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                replies.add((Map<?, ?>) Json.parse(line));
            }
        }
        return new Run(code, replies, err.toString(StandardCharsets.UTF_8));
    }

    private static int code(Map<?, ?> reply) {
        return ((Number) reply.get("code")).intValue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyLineGetsItsReplyWhateverItsBytes() throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // a byte order mark before the first line
        in.writeBytes(bytes("[\"init\"]\r\n")); // CRLF
        in.writeBytes(bytes("[\"-C\", \"a\\u0000b\", \"status\"]\n")); // a NUL in -C
        in.writeBytes(bytes("[\"commit\", \"-m\", \"bad"));
        in.writeBytes(new byte[] {(byte) 0xFF});
        in.writeBytes(bytes("byte\", \"x.npy\"]\n")); // not UTF-8
        in.writeBytes(bytes("[\"status\",\r\"--json\"]\n")); // a lone CR is JSON whitespace
        in.writeBytes(bytes("[\"add\", \"a\\u0000.npy\"]\n")); // a NUL in a path
        in.writeBytes(bytes("[\"log\"]\n"));
        Run r = batch(in.toByteArray(), null);
        assertEquals(0, r.code(), r.err());
        assertEquals(6, r.replies().size(), r.replies().toString());
        assertEquals(0, code(r.replies().get(0)), "the BOM is dropped, the CR before the LF too: " + r.replies().get(0));
        assertEquals(2, code(r.replies().get(1)));
        assertTrue(((String) r.replies().get(1).get("err")).contains("not a valid path"), r.replies().get(1).toString());
        assertEquals(2, code(r.replies().get(2)));
        assertTrue(((String) r.replies().get(2).get("err")).contains("line 3: not UTF-8"), r.replies().get(2).toString());
        assertEquals(0, code(r.replies().get(3)), r.replies().get(3).toString());
        assertEquals(2, code(r.replies().get(4)));
        assertTrue(((String) r.replies().get(4).get("err")).contains("'a\\x00.npy': not a valid path"), r.replies().get(4).toString());
        assertEquals(1, code(r.replies().get(5)), "nothing was committed: " + r.replies().get(5));
    }

    @Test
    void aBatchWhoseReaderWentAwayStops() throws Exception {
        OutputStream closedAfterOneReply = new OutputStream() {
            private int lines;

            @Override
            public void write(int b) throws IOException {
                if (lines >= 1) {
                    throw new IOException("Broken pipe");
                }
                if (b == '\n') {
                    lines++;
                }
            }
        };
        StringBuilder in = new StringBuilder("[\"init\"]\n");
        for (int i = 0; i < 5; i++) {
            in.append("[\"tag\", \"t").append(i).append("\"]\n");
        }
        Run r = batch(bytes(in.toString()), closedAfterOneReply);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("standard output was closed after line 2"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
