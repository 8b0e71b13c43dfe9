package dev.latentserve.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;

/**
 * The syntax of a Content-Type header, by RFC 9110 section 8.3.1: a type, a subtype, and parameters each
 * {@code name=value}. Spring's parsing refuses most malformed headers but skips a parameter without {@code =}
 * ({@code application/x-npy;garbage}), which would let such a header through as if it were well formed.
 */
final class ContentTypes {

    private static final Pattern CHARSET = Pattern.compile("charset '([^']*)'|charset name[:\\s]*([^\\s\"]+)");
    private static final Pattern TOKEN_CHARACTER = Pattern.compile("Invalid token character '(.)'");
    private static final Pattern QUALITY = Pattern.compile("Invalid quality value \"([^\"]*)\"");

    private ContentTypes() {
    }

    /** What is wrong with {@code header} as a media type, or null when it is well formed. */
    static @Nullable String problem(String header) {
        try {
            MediaType.parseMediaType(header);
        } catch (IllegalArgumentException invalid) { // InvalidMediaTypeException among them
            return reason(invalid);
        }
        List<String> parameters = parameters(header);
        if (parameters == null) {
            return "a quoted parameter value is not closed";
        }
        for (String parameter : parameters) {
            // RFC 9110 allows an empty parameter ("text/plain;"), not a name without a value.
            if (!parameter.isBlank() && !parameter.contains("=")) {
                return "parameter '" + parameter.strip() + "' has no value: parameters are name=value";
            }
        }
        return null;
    }

    /**
     * What is wrong with a media type that Spring's parsing refused, in words (its own message names its asserts and
     * Java's number parsing: "'value' must not be empty", "For input string"). Shared by Content-Type and Accept.
     */
    static String reason(IllegalArgumentException invalid) {
        String message = invalid.getMessage() == null ? "" : invalid.getMessage();
        Matcher charset = CHARSET.matcher(message);
        if (charset.find()) {
            return "it names an unknown charset '" + (charset.group(1) != null ? charset.group(1) : charset.group(2)) + "'";
        }
        Matcher quality = QUALITY.matcher(message);
        if (quality.find()) {
            return "its q value '" + quality.group(1) + "' is outside 0 to 1";
        }
        if (message.contains("For input string") || invalid instanceof NumberFormatException) {
            return "it has a q value that is not a number; q is a number from 0 to 1";
        }
        Matcher character = TOKEN_CHARACTER.matcher(message);
        if (character.find()) {
            return "it holds the character '" + character.group(1) + "', which a type, subtype or parameter may not";
        }
        if (message.contains("does not contain subtype")) {
            return "it has no subtype after '/', as in application/json";
        }
        if (message.contains("does not contain '/'")) {
            return "it has no '/' between type and subtype, as in application/json";
        }
        if (message.contains("wildcard type is legal only")) {
            return "a wildcard type is only allowed as */*";
        }
        if (message.contains("'value' must not be empty")) {
            return "a parameter has no value: parameters are name=value";
        }
        if (message.contains("must not be empty")) {
            return "it is empty or has an empty part";
        }
        return "it is not a media type such as application/json";
    }

    /** The parameters after the type, split at each {@code ;} outside a quoted value; null when a quote is not closed. */
    private static @Nullable List<String> parameters(String header) {
        List<String> parameters = new ArrayList<>();
        boolean quoted = false;
        int start = -1;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                if (start >= 0) {
                    parameters.add(header.substring(start, i));
                }
                start = i + 1;
            }
        }
        if (quoted) {
            return null;
        }
        if (start >= 0) {
            parameters.add(header.substring(start));
        }
        return parameters;
    }
}
