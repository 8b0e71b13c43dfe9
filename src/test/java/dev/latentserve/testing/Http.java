package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.api.ProblemHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small blocking HTTP client for whole-application tests on a random port. */
public final class Http {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    /** The admin key of the tests' configuration (src/test/resources/config/application.yml). */
    public static final String ADMIN_KEY = "test-admin-key-0123456789abcdef0123456789abcdef";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final @Nullable String key;

    /** A client that authenticates with the tests' admin key. */
    public Http(int port) {
        this(port, ADMIN_KEY);
    }

    /** A client that sends {@code key} as X-API-Key, or no credentials when it is null. */
    public Http(int port, @Nullable String key) {
        this.base = "http://localhost:" + port;
        this.key = key;
    }

    /** A response with its body as bytes, readable as JSON. */
    public record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One multipart part: a file, or a text field when {@code filename} is null. */
    public record Part(String name, @org.jspecify.annotations.Nullable String filename,
            @org.jspecify.annotations.Nullable String contentType, byte[] bytes) {

        /** A text field {@code name=value}. */
        public static Part field(String name, String value) {
            return new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Response get(String path, String accept) {
        return send(HttpRequest.newBuilder(uri(path)).header("Accept", accept).GET());
    }

    public Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    public Response postJson(String path, String json) {
        return postJson(path, json, "application/json");
    }

    public Response postJson(String path, String json, String accept) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json").header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response postBytes(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public Response postMultipart(String path, List<Part> parts, String accept) {
        String boundary = "----latentserve" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            for (Part part : parts) {
                // A text field has neither file name nor type.
                body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name() + "\""
                        + (part.filename() == null ? "" : "; filename=\"" + part.filename() + "\"\r\nContent-Type: "
                                + part.contentType()) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.write(part.bytes());
                body.write("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("Accept", accept).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    }

    public URI uri(String path) {
        return URI.create(base + path);
    }

    /** Sends a request as built, with this client's key unless it sets its own credentials. */
    public Response send(HttpRequest.Builder request) {
        if (key != null && request.build().headers().firstValue("X-API-Key").isEmpty()
                && request.build().headers().firstValue("Authorization").isEmpty()) {
            request.header("X-API-Key", key);
        }
        try {
            HttpResponse<byte[]> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls a job until it leaves QUEUED and RUNNING or {@code timeout} passes; returns its last state. */
    public JsonNode waitForTerminal(String location, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = get(location).json();
        while (List.of("QUEUED", "RUNNING").contains(job.get("state").asString()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            job = get(location).json();
        }
        return job;
    }

    /** An RFC 9457 problem of this status and type, with every member filled in. */
    public static void assertProblem(Response response, int status, String type) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.get("type").asString())
                .isEqualTo(ProblemHandler.TYPE_BASE + type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asString()).isNotBlank();
        assertThat(problem.get("detail").asString()).isNotBlank();
        assertThat(problem.get("instance").asString()).startsWith("/");
    }
}
