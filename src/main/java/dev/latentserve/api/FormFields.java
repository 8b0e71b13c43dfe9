package dev.latentserve.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads the text fields of a multipart form as strictly as the JSON body of the same endpoint: into a record whose
 * components are the form's fields, each value read as the JSON value it spells ({@code 10}, {@code 0.8}), so that the
 * JSON body's rules and refusals apply word for word ({@code 1.0} or {@code 1e3} is no whole number, {@code NaN} no
 * number). A field sent twice, a field the form does not take, or a file where a value goes is refused naming it. An
 * empty value ({@code -F seed=}) means the default, as JSON's {@code null} does. A map component ({@code temperatures})
 * takes one field per key, {@code temperatures.top}.
 */
public final class FormFields {

    private FormFields() {
    }

    /**
     * @param form a record whose components are the form's text fields (Integer, Long, Double, String, or a Map of them)
     * @param files the names of the form's file parts, which the caller reads itself
     * @throws BadRequestException (400) naming the field that is duplicated, unknown, a file, or not of its type
     */
    public static <T extends Record> T read(MultipartHttpServletRequest request, JsonMapper json, Class<T> form,
            Set<String> files) {
        List<String> fields = Arrays.stream(form.getRecordComponents())
                .map(c -> Map.class.isAssignableFrom(c.getType()) ? c.getName() + ".<key>" : c.getName()).toList();
        for (String part : request.getMultiFileMap().keySet()) {
            if (!files.contains(part)) {
                throw refused(fields.contains(part) ? "form field '" + part + "' takes a value, not a file (send it as -F "
                        + part + "=<value>, without the @)" : unknown(part, fields, files));
            }
        }
        ObjectNode body = json.createObjectNode();
        for (Map.Entry<String, String[]> field : request.getParameterMap().entrySet()) {
            String name = field.getKey();
            if (files.contains(name)) {
                throw refused("form field '" + name + "' takes a file, not a value (send it as -F " + name + "=@file.png)");
            }
            if (field.getValue().length > 1) {
                throw refused("form field '" + name + "' is given " + field.getValue().length + " times; send each field once");
            }
            int dot = name.indexOf('.');
            String component = dot < 0 ? name : name.substring(0, dot);
            if (!fields.contains(dot < 0 ? name : component + ".<key>") || dot == name.length() - 1) {
                throw refused(unknown(name, fields, files));
            }
            JsonNode value = value(json, field.getValue()[0]);
            if (dot < 0) {
                body.set(name, value);
            } else {
                ObjectNode map = body.has(component) ? (ObjectNode) body.get(component) : body.putObject(component);
                map.set(name.substring(dot + 1), value);
            }
        }
        try {
            // The rules the application's JsonMapper applies to bodies (JsonConfiguration), here whatever mapper is given.
            return json.readerFor(form).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT).readValue(body);
        } catch (JacksonException e) {
            throw refused(JsonProblems.describe(e));
        }
    }

    /** The JSON value the text spells, or the text as a string when it spells none (which a number field then refuses). */
    private static JsonNode value(JsonMapper json, String text) {
        if (text.isEmpty()) {
            return json.nullNode();
        }
        try {
            JsonNode node = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
            return node == null || node.isMissingNode() ? json.getNodeFactory().textNode(text) : node;
        } catch (JacksonException notJson) {
            return json.getNodeFactory().textNode(text);
        }
    }

    private static String unknown(String name, List<String> fields, Set<String> files) {
        Set<String> takes = new TreeSet<>(fields);
        files.forEach(file -> takes.add(file + " (file)"));
        return "form field '" + name + "' is not one this form takes; it takes " + String.join(", ", new ArrayList<>(takes));
    }

    private static BadRequestException refused(@Nullable String detail) {
        return new BadRequestException("bad-request", "Invalid form field", detail == null ? "a form field could not be read"
                : detail);
    }
}
