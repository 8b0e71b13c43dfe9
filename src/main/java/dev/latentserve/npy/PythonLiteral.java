package dev.latentserve.npy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Python literals an npy header is written in ({@code repr} of a dict): dicts with string keys, strings, integers
 * (a Python 2 {@code L} suffix allowed), tuples, lists, {@code True}, {@code False}, {@code None}. Whitespace and
 * trailing commas anywhere Python allows them; nesting is bounded, so no header can exhaust the stack.
 */
final class PythonLiteral {

    /** Python's {@code None}. */
    enum None { NONE }

    private static final int MAX_DEPTH = 16;

    private final String text;
    private int at;

    private PythonLiteral(String text) {
        this.text = text;
    }

    /** Parses a whole header: one dict, then only whitespace (numpy pads with spaces and ends with a newline). */
    static Map<String, Object> parseDict(String text) {
        PythonLiteral parser = new PythonLiteral(text);
        parser.skipSpace();
        if (!parser.peek('{')) {
            throw parser.error("the header is not a dict");
        }
        Object value = parser.value(0);
        parser.skipSpace();
        if (parser.at < text.length()) {
            throw parser.error("unexpected text after the dict");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dict = (Map<String, Object>) value;
        return dict;
    }

    /** A parsed value as Python would print it, for messages. */
    static String show(Object value) {
        return switch (value) {
            case String s -> "'" + s + "'";
            case Boolean b -> b ? "True" : "False";
            case None n -> "None";
            case List<?> list -> list.stream().map(PythonLiteral::show).toList().toString().replace('[', '(').replace(']', ')');
            case Map<?, ?> map -> "{...}";
            default -> String.valueOf(value);
        };
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
        skipSpace();
        if (at >= text.length()) {
            throw error("the header ends where a value should be");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> dict(depth);
            case '(' -> sequence(')', depth);
            case '[' -> sequence(']', depth);
            case '\'', '"' -> string();
            default -> c == '-' || Character.isDigit(c) ? integer() : word();
        };
    }

    private Map<String, Object> dict(int depth) {
        at++;
        Map<String, Object> dict = new LinkedHashMap<>();
        while (!closes('}')) {
            skipSpace();
            if (!peek('\'') && !peek('"')) {
                throw error("dict keys must be strings");
            }
            String key = string();
            skipSpace();
            expect(':');
            if (dict.put(key, value(depth + 1)) != null) {
                throw error("key '" + key + "' appears twice");
            }
            separator('}');
        }
        return dict;
    }

    private List<Object> sequence(char close, int depth) {
        at++;
        List<Object> items = new ArrayList<>();
        while (!closes(close)) {
            items.add(value(depth + 1));
            separator(close);
        }
        return items;
    }

    /** True, consuming it, when the next non-space character is {@code close}. */
    private boolean closes(char close) {
        skipSpace();
        if (peek(close)) {
            at++;
            return true;
        }
        return false;
    }

    /** After an item: a comma, or the closing bracket (left for {@link #closes}). */
    private void separator(char close) {
        skipSpace();
        if (peek(',')) {
            at++;
        } else if (!peek(close)) {
            throw error("expected ',' or '" + close + "'");
        }
    }

    private String string() {
        char quote = text.charAt(at++);
        StringBuilder s = new StringBuilder();
        while (at < text.length() && text.charAt(at) != quote) {
            char c = text.charAt(at++);
            if (c == '\\' && at < text.length()) {
                c = text.charAt(at++);
            }
            s.append(c);
        }
        if (at >= text.length()) {
            throw error("a string is not closed");
        }
        at++;
        return s.toString();
    }

    private Long integer() {
        int start = at;
        if (peek('-')) {
            at++;
        }
        while (at < text.length() && Character.isDigit(text.charAt(at)) && text.charAt(at) < 128) {
            at++;
        }
        String digits = text.substring(start, at);
        if (peek('L')) {
            at++;
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("'" + digits + "' is not an integer that fits in 64 bits");
        }
    }

    private Object word() {
        int start = at;
        while (at < text.length() && Character.isLetter(text.charAt(at))) {
            at++;
        }
        String word = text.substring(start, at);
        return switch (word) {
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            case "None" -> None.NONE;
            default -> throw error("unexpected " + (word.isEmpty() ? "character '" + text.charAt(start) + "'" : "word '" + word + "'"));
        };
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("expected '" + c + "'");
        }
        at++;
    }

    private boolean peek(char c) {
        return at < text.length() && text.charAt(at) == c;
    }

    private void skipSpace() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private NpyException error(String what) {
        String shown = text.strip();
        return NpyException.malformed("npy header is not the dict numpy writes (" + what + " at character " + at
                + "): " + (shown.length() > 200 ? shown.substring(0, 200) + "..." : shown));
    }
}
