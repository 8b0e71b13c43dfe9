package dev.latentserve.api;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;

/**
 * The syntax of a Content-Type header, by RFC 9110 section 8.3.1: a type, a subtype, and parameters each
 * {@code name=value}. Spring's parsing refuses most malformed headers but skips a parameter without {@code =}
 * ({@code application/x-npy;garbage}), which would let such a header through as if it were well formed.
 */
final class ContentTypes {

    private ContentTypes() {
    }

    /** What is wrong with {@code header} as a media type, or null when it is well formed. */
    static @Nullable String problem(String header) {
        try {
            MediaType.parseMediaType(header);
        } catch (IllegalArgumentException invalid) { // InvalidMediaTypeException among them
            return invalid.getMessage();
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
