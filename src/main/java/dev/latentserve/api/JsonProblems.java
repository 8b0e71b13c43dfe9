package dev.latentserve.api;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Says what is wrong with a JSON request body in words a client can act on: the field (as a path such as
 * {@code latents[0][3]}), the line and column, the value found and what the field takes, instead of Spring's
 * "Failed to read request".
 */
public final class JsonProblems {

    private static final Map<Class<?>, String> TYPES = Map.ofEntries(
            Map.entry(Integer.class, "a whole number from -2147483648 to 2147483647"),
            Map.entry(int.class, "a whole number from -2147483648 to 2147483647"),
            Map.entry(Long.class, "a whole number from -9223372036854775808 to 9223372036854775807"),
            Map.entry(long.class, "a whole number from -9223372036854775808 to 9223372036854775807"),
            Map.entry(Double.class, "a finite number"), Map.entry(double.class, "a finite number"),
            Map.entry(Float.class, "a finite number within ±3.4e38"), Map.entry(float.class, "a finite number within ±3.4e38"),
            Map.entry(Boolean.class, "true or false"), Map.entry(boolean.class, "true or false"),
            Map.entry(String.class, "a string"),
            Map.entry(float[].class, "an array of numbers"), Map.entry(int[].class, "an array of whole numbers"),
            Map.entry(List.class, "an array"), Map.entry(Map.class, "a JSON object"));

    private static final Pattern COERCED_VALUE = Pattern.compile("value \\(([^)]{1,60})\\)");
    private static final Pattern FOUND_TOKEN = Pattern.compile("JsonToken\\.([A-Z_]+)");
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate Object property \"([^\"]{0,60})");
    private static final Pattern CONTROL_CHARACTER = Pattern.compile("CTRL-CHAR, code (\\d+)");
    private static final Pattern NON_STANDARD = Pattern.compile("Non-standard token '([^']+)'");
    private static final Pattern UNEXPECTED_CHARACTER = Pattern.compile("Unexpected character \\('(.+?)' \\(code \\d+\\)\\)(?::\\s*(.*))?");
    private static final Pattern CLOSE_MARKER = Pattern.compile("Unexpected close marker '(.)': expected '(.)'");
    private static final Pattern UNRECOGNIZED_TOKEN = Pattern.compile("Unrecognized token '([^']*)'");
    private static final Map<String, String> EXPECTING = Map.of(
            "double-quote to start property name", "a field name in double quotes",
            "comma to separate Object entries", "a comma between fields or the closing }",
            "comma to separate Array entries", "a comma between values or the closing ]",
            "colon to separate", "a colon after the field name",
            "expected a valid value", "a value (a string in double quotes, a number, an array, an object, true, false or null)",
            "close marker for Array", "the closing ]",
            "close marker for Object", "the closing }");

    private JsonProblems() {
    }

    /** A detail for an unreadable body, or null when no JSON problem is among the causes. */
    static @Nullable String describe(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException json) {
                return describe(json);
            }
        }
        return null;
    }

    /** A detail for a JSON problem; {@code /v2} words its parse errors with it too. */
    public static String describe(JacksonException e) {
        String where = where(e);
        String path = path(e);
        String field = path.isEmpty() ? "the body" : "field '" + path + "'";
        String original = firstSentence(e.getOriginalMessage());
        if (e instanceof InputCoercionException coercion) {
            Matcher value = COERCED_VALUE.matcher(original);
            return field + where + ": the value " + (value.find() ? value.group(1) + " " : "") + "is out of range; it takes "
                    + expected(coercion.getTargetType());
        }
        if (e instanceof InvalidFormatException format) {
            return field + where + ": the value " + quote(format.getValue()) + " is not " + expected(format.getTargetType());
        }
        if (e instanceof UnrecognizedPropertyException unknown) {
            String parent = path.contains(".") ? "field '" + path.substring(0, path.lastIndexOf('.')) + "'" : "the body";
            List<String> known = unknown.getKnownPropertyIds() == null ? List.of()
                    : unknown.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            return "field '" + unknown.getPropertyName() + "'" + where + " is not one " + parent + " takes"
                    + (known.isEmpty() ? "" : "; it takes " + String.join(", ", known));
        }
        if (e instanceof MismatchedInputException mismatch) {
            if (path.isEmpty() && original.contains("No content")) {
                return "the request body is empty; send a JSON object (see the endpoint's example in /swagger-ui.html)";
            }
            String found = found(mismatch);
            Class<?> target = mismatch.getTargetType();
            // Jackson names the array when one of its elements is wrong: say what the element takes.
            if (target != null && target.isArray() && target.getComponentType().isPrimitive() && path.endsWith("]")) {
                target = target.getComponentType();
            }
            return field + where + " takes " + expected(target) + (found == null ? "" : ", not " + found);
        }
        if (e instanceof StreamConstraintsException) {
            return "the JSON" + where + " breaks a limit: " + plain(original);
        }
        if (e instanceof UnexpectedEndOfInputException) {
            return "the JSON ends too early" + where + ": an object or array is not closed, or a value is missing (truncated body?)";
        }
        if (e instanceof StreamReadException) {
            return "the body is not valid JSON" + where + ": " + syntax(original);
        }
        return field + where + ": " + plain(original);
    }

    /** What a field held instead of what it takes, from the token the parser stopped at; null when unknown. */
    private static @Nullable String found(MismatchedInputException e) {
        if (e.getMessage() != null && e.getMessage().contains("Cannot coerce `null`")) {
            return "null";
        }
        // Jackson names the token it found in its message; the parser may have moved on or closed since.
        Matcher named = FOUND_TOKEN.matcher(e.getMessage() == null ? "" : e.getMessage());
        JsonToken token = null;
        if (named.find()) {
            try {
                token = JsonToken.valueOf(named.group(1));
            } catch (IllegalArgumentException unknown) {
                return null;
            }
        } else if (e.processor() instanceof JsonParser parser && !parser.isClosed()) {
            token = parser.currentToken();
        }
        if (token == null) {
            return null;
        }
        return switch (token) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            default -> null;
        };
    }

    /** A JSON syntax error in words: what was found, and what JSON needs there. */
    private static String syntax(String message) {
        Matcher duplicate = DUPLICATE.matcher(message);
        if (duplicate.find()) {
            return "field '" + duplicate.group(1) + "' is given twice; send each field once";
        }
        Matcher control = CONTROL_CHARACTER.matcher(message);
        if (control.find()) {
            String code = String.format("%04x", Integer.parseInt(control.group(1)));
            return "a control character, U+" + code + ", where JSON allows none; inside a string write it escaped, as \\u" + code;
        }
        if (message.contains("Invalid UTF-8")) {
            return "the body is not valid UTF-8 text; JSON bodies are UTF-8";
        }
        Matcher nonStandard = NON_STANDARD.matcher(message);
        if (nonStandard.find()) {
            return nonStandard.group(1) + " is not a JSON number; send a finite number";
        }
        Matcher character = UNEXPECTED_CHARACTER.matcher(message);
        if (character.find()) {
            String expecting = character.group(2) == null ? null : EXPECTING.entrySet().stream()
                    .filter(entry -> character.group(2).contains(entry.getKey())).map(Map.Entry::getValue).findFirst().orElse(null);
            return "unexpected character '" + character.group(1) + "'" + (expecting == null ? "" : " where " + expecting
                    + " should be");
        }
        Matcher close = CLOSE_MARKER.matcher(message);
        if (close.find()) {
            return "unexpected character '" + close.group(1) + "' where " + ("]".equals(close.group(2))
                    ? "a value or the closing ] of the array should be" : "a field or the closing } of the object should be");
        }
        Matcher token = UNRECOGNIZED_TOKEN.matcher(message);
        if (token.find()) {
            return "unexpected word '" + token.group(1) + "'; a JSON value is a string in double quotes, a number, an array, an "
                    + "object, true, false or null, and nothing may follow the body's closing bracket";
        }
        return plain(message);
    }

    /**
     * Jackson's own words with its internals taken out: backquoted Java and feature names, token constants, source
     * descriptions and character codes mean nothing to a client.
     */
    private static String plain(String message) {
        String text = message.replaceAll("\\s*\\(start marker at \\[Source:.*$", "")
                .replaceAll("\\[Source:[^\\]]*\\]", "")
                .replaceAll(":?\\s*(?:enable|disable) `[^`]*` to allow", "")
                .replaceAll("\\s*\\(token `[^`]*`\\)", "")
                .replaceAll("\\s*\\(code \\d+\\)", "")
                .replaceAll(",\\s*from `[^`]*`", "")
                .replaceAll("`[^`]*`", "a value")
                .strip();
        return text.isEmpty() ? "unreadable" : text;
    }

    private static String expected(@Nullable Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        String known = TYPES.get(type);
        if (known != null) {
            return known;
        }
        if (type.isArray() || List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return type.isRecord() || Map.class.isAssignableFrom(type) ? "a JSON object" : "a " + type.getSimpleName();
    }

    private static String where(JacksonException e) {
        TokenStreamLocation location = e.getLocation();
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String path(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : e.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** Jackson's message up to its location suffix, with Java class names said as JSON types. */
    private static String firstSentence(@Nullable String message) {
        if (message == null) {
            return "unreadable";
        }
        String text = message.strip();
        int at = text.indexOf("\n");
        if (at > 0) {
            text = text.substring(0, at);
        }
        return text.replace("`java.lang.Integer`", "integer").replace("`java.lang.Long`", "integer")
                .replace("`java.lang.Double`", "number").replace("`java.lang.Float`", "number").replace("`float[]`", "array of numbers")
                .replace("`java.lang.String`", "string").replace("`java.lang.Boolean`", "boolean")
                .replace("`int`", "integer").replace("`long`", "integer");
    }

    private static String quote(@Nullable Object value) {
        if (value instanceof Double number && number.isInfinite()) {
            return "(a number beyond the range of a double)";
        }
        return value instanceof String s ? "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"" : String.valueOf(value);
    }
}
