package dev.coral.format;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser and writer, enough for safetensors headers (and the
 * command lines {@code coral batch} reads).
 *
 * <p>Values map to: object → {@link LinkedHashMap} (key order kept), array → {@link List},
 * string → {@link String}, integer → {@link BigInteger}, number with fraction or exponent →
 * {@link BigDecimal}, {@code true}/{@code false} → {@link Boolean}, {@code null} → {@link #NULL}.
 * Duplicate object keys, trailing commas, control characters in strings, lone surrogates and
 * nesting deeper than {@value #MAX_DEPTH} are rejected, because a header that two readers could
 * understand differently must not be accepted.
 */
public final class Json {
    /** Marker for JSON {@code null} (maps cannot hold Java null values usefully). */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final int MAX_DEPTH = 64;

    /** A syntax error, with the character offset where it was found. */
    public static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message, int offset) {
            super(message + " at character " + offset);
        }
    }

    private final String text;
    private final int maxArrayItems;
    private int pos;

    private Json(String text, int maxArrayItems) {
        this.text = text;
        this.maxArrayItems = maxArrayItems;
    }

    /** Parses one JSON value; only whitespace may follow it. */
    public static Object parse(String text) throws SyntaxException {
        return parse(text, Integer.MAX_VALUE);
    }

    /**
     * As {@link #parse(String)}, refusing an array of more than {@code maxArrayItems} items as it
     * reads it: a format whose arrays are short (a safetensors header's shapes and offsets) must
     * not build a tree for a long one. A 100 MB header holding one array of 50 million zeros took
     * 4.5 GB of heap before it was refused, and ran out of memory in a 2 GB heap (found by fuzzing).
     */
    public static Object parse(String text, int maxArrayItems) throws SyntaxException {
        Json p = new Json(text, maxArrayItems);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected content after the JSON value");
        }
        return v;
    }

    private Object value(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of JSON");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + printable(c) + "'");
        }
    }

    /** Takes an object's members one at a time, as they are read. */
    @FunctionalInterface
    public interface MemberVisitor<E extends Exception> {
        void member(String key, Object value) throws E;
    }

    /**
     * Parses {@code text}, one JSON object and whitespace, handing each member to {@code visitor}
     * as it is read, without keeping the object: a format with an object of many small members (a
     * safetensors header of 1.77 million tensors, 100 MB) does not hold the whole tree, which took
     * about 45 bytes of heap per byte of text. Duplicate keys are refused as {@link #parse} does.
     */
    public static <E extends Exception> void forEachMember(String text, int maxArrayItems, MemberVisitor<E> visitor)
            throws SyntaxException, E {
        Json p = new Json(text, maxArrayItems);
        p.skipWhitespace();
        if (p.peek() != '{') {
            throw p.error("expected a JSON object");
        }
        java.util.Set<String> keys = new java.util.HashSet<>();
        p.members(0, k -> !keys.add(k), visitor);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected content after the JSON value");
        }
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        Map<String, Object> map = new LinkedHashMap<>();
        members(depth, map::containsKey, map::put);
        return map;
    }

    /** The members of the object at {@code pos}; {@code seen} tells (and may record) a key read before. */
    private <E extends Exception> void members(int depth, java.util.function.Predicate<String> seen, MemberVisitor<E> visitor)
            throws SyntaxException, E {
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyAt = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (seen.test(key)) {
                throw new SyntaxException("duplicate key \"" + key + "\"", keyAt);
            }
            visitor.member(key, v);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            if (list.size() == maxArrayItems) {
                throw error("an array of more than " + maxArrayItems + " items");
            }
            list.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() throws SyntaxException {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                break;
            }
            if (c < 0x20) {
                pos--;
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': sb.append(hex4()); break;
                default:
                    pos--;
                    throw error("invalid escape '\\" + printable(e) + "'");
            }
        }
        String s = sb.toString();
        checkSurrogates(s);
        return s;
    }

    private char hex4() throws SyntaxException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("invalid \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    /** Escaped surrogates must pair up; a lone one is not a Unicode string. */
    private void checkSurrogates(String s) throws SyntaxException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw error("lone surrogate in string");
            }
            if (Character.isLowSurrogate(c)) {
                throw error("lone surrogate in string");
            }
        }
    }

    private Object number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (peek() >= '1' && peek() <= '9') {
            digits();
        } else {
            throw error("invalid number");
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            integral = false;
            if (!(peek() >= '0' && peek() <= '9')) {
                throw error("invalid number");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!(peek() >= '0' && peek() <= '9')) {
                throw error("invalid number");
            }
            digits();
        }
        String s = text.substring(start, pos);
        if (s.length() > 1000) {
            throw new SyntaxException("number too long", start);
        }
        return integral ? new BigInteger(s) : new BigDecimal(s);
    }

    private void digits() {
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
    }

    private void literal(String word) throws SyntaxException {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal");
        }
        pos += word.length();
    }

    private void expect(char c) throws SyntaxException {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or NUL at the end (NUL never appears unescaped in valid JSON here). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private SyntaxException error(String message) {
        return new SyntaxException(message, pos);
    }

    private static String printable(char c) {
        return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    /** Appends {@code s} as a JSON string literal; non-ASCII is written as is (the caller encodes UTF-8). */
    static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
