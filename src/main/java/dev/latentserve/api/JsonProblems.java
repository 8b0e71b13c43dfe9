package dev.latentserve.api;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Says what is wrong with a JSON request body in words a client can act on: the field (as a path such as
 * {@code latents[0][3]}), the line and column, the value found and what the field takes, instead of Spring's
 * "Failed to read request".
 */
final class JsonProblems {

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

    private static String describe(JacksonException e) {
        String where = where(e);
        String path = path(e);
        String field = path.isEmpty() ? "the body" : "field '" + path + "'";
        String original = firstSentence(e.getOriginalMessage());
        if (e instanceof InputCoercionException coercion) {
            return field + where + ": " + original + "; it takes " + expected(coercion.getTargetType());
        }
        if (e instanceof InvalidFormatException format) {
            return field + where + ": the value " + quote(format.getValue()) + " is not " + expected(format.getTargetType());
        }
        if (e instanceof MismatchedInputException mismatch) {
            if (path.isEmpty() && original.contains("No content")) {
                return "the request body is empty; send a JSON object (see the endpoint's example in /swagger-ui.html)";
            }
            return field + where + " takes " + expected(mismatch.getTargetType()) + "; " + original;
        }
        if (e instanceof StreamConstraintsException) {
            return "the JSON" + where + " breaks a limit: " + original;
        }
        if (e instanceof UnexpectedEndOfInputException) {
            return "the JSON ends too early" + where + " (truncated body?): " + original;
        }
        if (e instanceof StreamReadException) {
            return "the body is not valid JSON" + where + ": " + original;
        }
        return field + where + ": " + original;
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
        return value instanceof String s ? "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"" : String.valueOf(value);
    }
}
