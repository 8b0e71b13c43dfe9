package dev.latentserve.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.format.Format;
import dev.latentserve.testing.ApiIntegrationSupport;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document stays clean under the rules of Redocly's "recommended" set that it can break (checked with
 * {@code redocly lint --extends recommended}, which the Maven build cannot run: it stays Node-free): every operation
 * has a summary, a 2xx and a 4xx response and a unique operationId, path parameters are declared, the licence says
 * where it is, no server points at localhost, and every example (schema, media type, parameter) conforms to its
 * schema, formats included ({@code byte} is base64). The console builds its job forms from this document, so an
 * example or default that lies would show there.
 */
class OpenApiLintIntegrationTests extends ApiIntegrationSupport {

    private static final String DOCUMENT = "https://latentserve.test/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "options", "head", "trace");
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}]+)}");

    private JsonNode api;
    private SchemaRegistry schemas;

    @BeforeAll
    void fetchTheDocument() {
        String text = http.get("/v3/api-docs").text();
        api = dev.latentserve.testing.Http.JSON.readTree(text);
        // OpenAPI's "byte": base64 (RFC 4648); 2020-12 knows no such format, so it is taught here.
        Format base64 = new Format() {
            @Override
            public String getName() {
                return "byte";
            }

            @Override
            public boolean matches(ExecutionContext context, String value) {
                try {
                    Base64.getDecoder().decode(value);
                    return true;
                } catch (IllegalArgumentException e) {
                    return false;
                }
            }
        };
        Dialect dialect = Dialect.builder(Dialects.getDraft202012()).format(base64).build();
        schemas = SchemaRegistry.withDialect(dialect, builder -> builder
                .schemas(Map.of(DOCUMENT, text))
                .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    }

    private List<Map.Entry<String, JsonNode>> operations() {
        List<Map.Entry<String, JsonNode>> operations = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : api.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
                if (METHODS.contains(method.getKey())) {
                    operations.add(Map.entry(method.getKey().toUpperCase() + " " + path.getKey(), method.getValue()));
                }
            }
        }
        return operations;
    }

    @Test
    void everyOperationHasASummaryASuccessAndAClientErrorAndAUniqueId() {
        Map<String, String> ids = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> operation : operations()) {
            String name = operation.getKey();
            JsonNode body = operation.getValue();
            if (!body.hasNonNull("summary") || body.get("summary").asString().isBlank()) {
                problems.add(name + ": no summary");
            }
            List<String> statuses = body.get("responses").propertyNames().stream().toList();
            if (statuses.stream().noneMatch(status -> status.startsWith("2"))) {
                problems.add(name + ": no 2xx response");
            }
            if (statuses.stream().noneMatch(status -> status.startsWith("4"))) {
                problems.add(name + ": no 4xx response");
            }
            String id = body.path("operationId").asString("");
            if (id.isEmpty()) {
                problems.add(name + ": no operationId");
            } else if (ids.putIfAbsent(id, name) != null) {
                problems.add(name + ": operationId " + id + " also used by " + ids.get(id));
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyPathParameterIsDeclared() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> operation : operations()) {
            String path = operation.getKey().substring(operation.getKey().indexOf(' ') + 1);
            Matcher parameter = PATH_PARAMETER.matcher(path);
            while (parameter.find()) {
                String name = parameter.group(1);
                boolean declared = false;
                for (JsonNode declaredParameter : operation.getValue().path("parameters")) {
                    declared |= "path".equals(declaredParameter.path("in").asString()) && name.equals(declaredParameter.path("name").asString());
                }
                if (!declared) {
                    problems.add(operation.getKey() + ": path parameter " + name + " is not declared");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theLicenceSaysWhereItIsAndNoServerIsLocal() {
        JsonNode license = api.get("info").get("license");
        assertThat(license.hasNonNull("url") || license.hasNonNull("identifier")).as(license.toString()).isTrue();
        for (JsonNode server : api.path("servers")) {
            assertThat(server.get("url").asString()).doesNotContain("localhost").doesNotContain("127.0.0.1").doesNotContain("example.com");
        }
    }

    @Test
    void everyExampleFitsItsSchema() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> schema : api.get("components").get("schemas").properties()) {
            String pointer = "/components/schemas/" + escape(schema.getKey());
            if (schema.getValue().has("example")) {
                check(pointer, schema.getValue().get("example"), pointer + "/example", problems);
            }
            for (Map.Entry<String, JsonNode> property : schema.getValue().path("properties").properties()) {
                if (property.getValue().has("example")) {
                    String at = pointer + "/properties/" + escape(property.getKey());
                    check(at, property.getValue().get("example"), at + "/example", problems);
                }
            }
        }
        for (Map.Entry<String, JsonNode> path : api.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
                if (!METHODS.contains(method.getKey())) {
                    continue;
                }
                String operation = "/paths/" + escape(path.getKey()) + "/" + method.getKey();
                JsonNode parameters = method.getValue().path("parameters");
                for (int i = 0; i < parameters.size(); i++) {
                    if (parameters.get(i).has("example") && parameters.get(i).has("schema")) {
                        check(operation + "/parameters/" + i + "/schema", parameters.get(i).get("example"),
                                operation + "/parameters/" + i + "/example", problems);
                    }
                }
                for (Map.Entry<String, JsonNode> media : method.getValue().path("requestBody").path("content").properties()) {
                    String at = operation + "/requestBody/content/" + escape(media.getKey());
                    examples(at, media.getValue(), problems);
                }
                for (Map.Entry<String, JsonNode> response : method.getValue().path("responses").properties()) {
                    for (Map.Entry<String, JsonNode> media : response.getValue().path("content").properties()) {
                        String at = operation + "/responses/" + escape(response.getKey()) + "/content/" + escape(media.getKey());
                        examples(at, media.getValue(), problems);
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    private void examples(String mediaPointer, JsonNode media, List<String> problems) {
        if (!media.has("schema")) {
            return;
        }
        if (media.has("example")) {
            check(mediaPointer + "/schema", media.get("example"), mediaPointer + "/example", problems);
        }
        for (Map.Entry<String, JsonNode> example : media.path("examples").properties()) {
            if (example.getValue().has("value")) {
                check(mediaPointer + "/schema", example.getValue().get("value"),
                        mediaPointer + "/examples/" + escape(example.getKey()) + "/value", problems);
            }
        }
    }

    private void check(String schemaPointer, JsonNode example, String examplePointer, List<String> problems) {
        // A multipart or binary body's example is prose or bytes, not an instance of the schema.
        if (schemaPointer.contains("multipart~1form-data") || schemaPointer.contains("image~1png")) {
            return;
        }
        Schema schema = schemas.getSchema(SchemaLocation.of(DOCUMENT + "#" + schemaPointer));
        for (Error error : schema.validate(example)) {
            problems.add(examplePointer + ": " + error.getMessage());
        }
    }

    /** A JSON Pointer segment (RFC 6901). */
    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }
}
