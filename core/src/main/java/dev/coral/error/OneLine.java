package dev.coral.error;

/**
 * Text read from a file (a tensor or member name, a path) as a message or a line of output shows
 * it: control characters (C0, DEL, C1) written as {@code \n}, {@code \t}, {@code \r} or
 * {@code \xNN}, so such a name can neither break the line nor move the cursor, recolour or clear
 * a terminal (git quotes such names likewise). Text without them is returned as it is.
 */
public final class OneLine {
    private OneLine() {
    }

    public static String of(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !isControl(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isControl(c)) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean isControl(char c) {
        return c < 0x20 || c >= 0x7f && c <= 0x9f;
    }
}
