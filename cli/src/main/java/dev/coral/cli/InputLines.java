package dev.coral.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lines of {@code coral batch}'s input: each ends at a line feed only (a carriage return
 * before it is dropped, one elsewhere is the JSON whitespace it is), a UTF-8 byte order mark
 * before the first is dropped, and a line that is not UTF-8 comes with an error instead of its
 * text. Found by fuzzing: a reader of lines split ["log",\r"--oneline"] in two, took a leading
 * BOM as the first command's, and ran commands whose arguments held U+FFFD for bytes it could
 * not decode (a commit message recorded so).
 */
final class InputLines {
    /** A line's text, or why it has none. */
    record Line(String text, String error) {
    }

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int at;
    private int end;
    private boolean first = true;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    InputLines(InputStream in) {
        this.in = in;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean any = false;
        while (true) {
            if (at == end) {
                end = in.read(buf);
                at = 0;
                if (end <= 0) {
                    end = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            any = true;
            int nl = at;
            while (nl < end && buf[nl] != '\n') {
                nl++;
            }
            line.write(buf, at, nl - at);
            if (nl < end) {
                at = nl + 1;
                break;
            }
            at = end;
        }
        byte[] b = line.toByteArray();
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        int from = 0;
        if (first && len >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF) {
            from = 3;
        }
        first = false;
        try {
            return new Line(utf8.decode(ByteBuffer.wrap(b, from, len - from)).toString(), null);
        } catch (CharacterCodingException e) {
            return new Line(null, "not UTF-8");
        }
    }
}
