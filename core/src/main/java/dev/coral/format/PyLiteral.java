package dev.coral.format;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for the tiny subset of Python literals an npy header uses: a dict of string
 * keys to strings, integers, {@code True}/{@code False}, tuples and lists. Tuples parse to
 * {@link Tuple} and lists to {@link List}, because numpy requires the shape to be a tuple and a
 * list descr means a structured dtype.
 */
final class PyLiteral {
    /** A Python tuple. */
    record Tuple(List<Object> items) {
    }

    /** A parsed value as Python writes it ({@code (2, 3)}, not the record's Java text), for error messages. */
    static String show(Object v) {
        if (v instanceof Tuple t) {
            List<String> items = t.items().stream().map(PyLiteral::show).toList();
            return "(" + String.join(", ", items) + (items.size() == 1 ? ",)" : ")");
        } else if (v instanceof List<?> l) {
            return "[" + String.join(", ", l.stream().map(PyLiteral::show).toList()) + "]";
        } else if (v instanceof Map<?, ?> m) {
            List<String> entries = new ArrayList<>();
            m.forEach((k, x) -> entries.add(show(k) + ": " + show(x)));
            return "{" + String.join(", ", entries) + "}";
        } else if (v instanceof String s) {
            return "'" + s + "'";
        } else if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return String.valueOf(v);
    }

    /** A syntax error, with the character offset where it was found. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message, int offset) {
            super(message + " at character " + offset);
        }
    }

    private static final int MAX_DEPTH = 32;

    private final String text;
    private int pos;

    private PyLiteral(String text) {
        this.text = text;
    }

    /** Parses a dict literal followed only by whitespace (numpy pads with spaces and a newline). */
    static Map<String, Object> parseDict(String text) throws SyntaxException {
        PyLiteral p = new PyLiteral(text);
        p.skipSpace();
        if (p.peek() != '{') {
            throw p.error("expected a dict");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected content after the dict");
        }
        return d;
    }

    private Object value(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("nesting too deep");
        }
        char c = peek();
        if (c == '{') {
            return dict(depth);
        }
        if (c == '(') {
            return sequence(depth, ')');
        }
        if (c == '[') {
            return sequence(depth, ']');
        }
        if (c == '\'' || c == '"') {
            return string();
        }
        if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
            return integer();
        }
        if (text.startsWith("True", pos)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("False", pos)) {
            pos += 5;
            return Boolean.FALSE;
        }
        throw error(pos >= text.length() ? "unexpected end" : "unexpected character '" + c + "'");
    }

    private Map<String, Object> dict(int depth) throws SyntaxException {
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            int keyAt = pos;
            if (peek() != '\'' && peek() != '"') {
                throw error("expected a string key");
            }
            String key = string();
            skipSpace();
            if (peek() != ':') {
                throw error("expected ':'");
            }
            pos++;
            skipSpace();
            Object v = value(depth + 1);
            if (map.put(key, v) != null) {
                throw new SyntaxException("duplicate key '" + key + "'", keyAt);
            }
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() != '}') {
                throw error("expected ',' or '}'");
            }
        }
    }

    /** A tuple or list; a one-element tuple needs its trailing comma, as in Python. */
    private Object sequence(int depth, char close) throws SyntaxException {
        pos++;
        List<Object> items = new ArrayList<>();
        boolean trailingComma = false;
        while (true) {
            skipSpace();
            if (peek() == close) {
                pos++;
                break;
            }
            items.add(value(depth + 1));
            skipSpace();
            trailingComma = false;
            if (peek() == ',') {
                pos++;
                trailingComma = true;
            } else if (peek() != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }
        if (close == ']') {
            return items;
        }
        if (items.size() == 1 && !trailingComma) {
            return items.get(0); // (x) is just x in parentheses
        }
        return new Tuple(items);
    }

    /** A plain string literal; escapes other than \\ and quotes are not needed by npy and rejected. */
    private String string() throws SyntaxException {
        char quote = text.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\n') {
                throw error("newline in string");
            }
            if (c == '\\') {
                char e = pos < text.length() ? text.charAt(pos++) : '\0';
                if (e != '\\' && e != '\'' && e != '"') {
                    throw error("unsupported escape in string");
                }
                c = e;
            }
            sb.append(c);
        }
    }

    private BigInteger integer() throws SyntaxException {
        int start = pos;
        if (peek() == '-' || peek() == '+') {
            pos++;
        }
        int digitsAt = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos)) && text.charAt(pos) < 128) {
            pos++;
        }
        if (pos == digitsAt || pos - start > 100) {
            throw new SyntaxException("invalid integer", start);
        }
        String digits = text.substring(digitsAt, pos);
        if (digits.length() > 1 && digits.charAt(0) == '0' && !digits.chars().allMatch(ch -> ch == '0')) {
            throw new SyntaxException("integer with leading zero", start); // Python 3 rejects 012
        }
        char next = peek();
        if (next == '.' || next == 'e' || next == 'E' || next == 'j' || next == 'x' || next == 'L' || Character.isLetter(next)) {
            throw error("only plain integers are allowed");
        }
        return new BigInteger(text.substring(start, pos));
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t'
                || text.charAt(pos) == '\n' || text.charAt(pos) == '\r')) {
            pos++;
        }
    }

    private SyntaxException error(String message) {
        return new SyntaxException(message, pos);
    }
}
