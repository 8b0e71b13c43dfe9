package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Every endpoint against hostile requests of the kinds users' tools and attackers send (truncated, empty, wrong
 * content type, wrong JSON types, huge numbers, duplicated fields, deep nesting, invalid UTF-8, broken multipart,
 * every Accept header in common use): each answer is a 2xx, or a 4xx problem (or 503) whose detail says what to fix,
 * never another 5xx, and the service keeps answering.
 */
// A short connection timeout makes the request-timeout case take 2 s instead of 60; idle keep-alive connections keep
// Tomcat's 60 s, so the HTTP client's pooled connections are not closed under it between requests.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {"latentserve.roles=api,worker",
        "server.tomcat.connection-timeout=2s", "server.tomcat.keep-alive-timeout=60s"})
class HttpCorpusIntegrationTests {

    private static final String MODEL = "/v1/models/fashion-vae";
    private static final String ZEROS = "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]";

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) throws IOException {
        String dir = Files.createTempDirectory("latentserve-corpus").toString();
        registry.add("latentserve.storage.root", () -> dir);
    }

    /** A request body and the content type it claims. */
    record Body(String name, String contentType, byte[] bytes) {

        static Body json(String name, String text) {
            return new Body(name, "application/json", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    static List<Body> hostileJson() {
        List<Body> bodies = new ArrayList<>(List.of(
                Body.json("empty", ""),
                Body.json("whitespace", "   \n"),
                Body.json("truncated", "{\"count\": 2, \"seed\""),
                Body.json("null", "null"),
                Body.json("array", "[]"),
                Body.json("string", "\"sample\""),
                Body.json("number", "42"),
                Body.json("string for number", "{\"count\": \"two\", \"seed\": \"x\", \"epochs\": \"many\"}"),
                Body.json("number too large for int", "{\"count\": 2147483648, \"topK\": 2147483648, \"epochs\": 2147483648}"),
                Body.json("number too large for long", "{\"seed\": 99999999999999999999999}"),
                Body.json("double overflow", "{\"temperature\": 1e400, \"learningRate\": 1e400}"),
                Body.json("NaN literal", "{\"temperature\": NaN, \"pixels\": [[NaN]]}"),
                Body.json("duplicated field", "{\"count\": 1, \"count\": 2, \"type\": \"train\", \"type\": \"sample\"}"),
                Body.json("object for array", "{\"latents\": {\"a\": 1}, \"images\": {\"a\": 1}, \"pixels\": 3}"),
                Body.json("array of strings for floats", "{\"latents\": [[\"a\"]], \"pixels\": [[\"a\"]]}"),
                Body.json("unknown enum-like", "{\"type\": \"teleport\", \"model\": \"m\"}"),
                Body.json("bad base64", "{\"images\": [\"!!!not base64!!!\"]}"),
                Body.json("base64 of garbage", "{\"images\": [\"AAAAAAAA\"]}"),
                Body.json("huge latents", "{\"latents\": [" + "[1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,1e38,"
                        + "1e38,1e38]], \"includePixels\": true}"),
                Body.json("deep array nesting", "[".repeat(100_000) + "]".repeat(100_000)),
                Body.json("deep object nesting", "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000)),
                new Body("invalid UTF-8", "application/json", concat("{\"model\": \"".getBytes(StandardCharsets.UTF_8),
                        new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0xC3}, "\", \"type\": \"train\"}".getBytes(StandardCharsets.UTF_8))),
                new Body("json as text/plain", "text/plain", "{\"count\": 1}".getBytes(StandardCharsets.UTF_8)),
                new Body("json as xml", "application/xml", "<count>1</count>".getBytes(StandardCharsets.UTF_8)),
                new Body("invalid content type", "this is not/a media;;type", "{}".getBytes(StandardCharsets.UTF_8)),
                new Body("multipart without boundary", "multipart/form-data", "garbage".getBytes(StandardCharsets.UTF_8)),
                new Body("multipart with an empty part", "multipart/form-data; boundary=x",
                        "--x\r\n\r\n--x--".getBytes(StandardCharsets.UTF_8)),
                new Body("multipart truncated", "multipart/form-data; boundary=x",
                        "--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\u0089PNG"
                                .getBytes(StandardCharsets.UTF_8)),
                new Body("multipart with a non-image part", "multipart/form-data; boundary=x",
                        "--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nnot a png\r\n--x--\r\n"
                                .getBytes(StandardCharsets.UTF_8)),
                new Body("multipart with a wrong part name", "multipart/form-data; boundary=x",
                        "--x\r\nContent-Disposition: form-data; name=\"picture\"; filename=\"a.png\"\r\n\r\nxx\r\n--x--\r\n"
                                .getBytes(StandardCharsets.UTF_8)),
                new Body("octet-stream garbage", "application/octet-stream", "garbage that is no dataset".getBytes(StandardCharsets.UTF_8))));
        return bodies;
    }

    static List<String> postEndpoints() {
        return List.of(MODEL + "/sample", MODEL + "/encode", MODEL + "/decode", MODEL + "/reconstruct", "/v1/jobs", "/v1/datasets",
                "/v1/models/no-such-model/sample", MODEL + "@999/decode");
    }

    @Test
    void hostileBodiesGetAProblemThatSaysWhatToFixAndTheServiceKeepsAnswering() {
        Http http = new Http(port);
        SoftAssertions softly = new SoftAssertions();
        for (String path : postEndpoints()) {
            for (Body body : hostileJson()) {
                Response response = http.send(HttpRequest.newBuilder(http.uri(path)).header("Content-Type", body.contentType())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));
                checkAnswer(softly, "POST " + path + " with " + body.name(), response);
            }
        }
        softly.assertAll();
        assertHealthy(http);
    }

    /** Accept headers browsers, curl and HTTP libraries send, on every endpoint that answers more than one type. */
    @Test
    void everyAcceptHeaderGetsItsBestTypeOr406() {
        Http http = new Http(port);
        Map<String, String> requests = Map.of(
                MODEL + "/sample", "{\"count\": 2, \"seed\": 1}",
                MODEL + "/decode", "{\"latents\": [" + ZEROS + "]}",
                MODEL + "/reconstruct", "{\"pixels\": [" + "[" + "0.5,".repeat(783) + "0.5]" + "]}",
                MODEL + "/encode", "{\"pixels\": [" + "[" + "0.5,".repeat(783) + "0.5]" + "]}",
                "/v1/models/no-such-model/decode", "{\"latents\": [" + ZEROS + "]}");
        SoftAssertions softly = new SoftAssertions();
        for (var request : requests.entrySet()) {
            boolean offersPng = !request.getKey().endsWith("/encode");
            for (Accept accept : Accept.values()) {
                Response response = http.postJson(request.getKey(), request.getValue(), accept.header);
                String what = "POST " + request.getKey() + " with Accept: " + accept.header;
                checkAnswer(softly, what, response);
                if (accept == Accept.MALFORMED) {
                    softly.assertThat(response.status()).as(what + ": " + response.text()).isEqualTo(400);
                    continue;
                }
                String expected = accept.expected(offersPng);
                if (request.getKey().contains("no-such-model")) {
                    // Unacceptable before the model is looked up; otherwise the problem, whatever Accept said.
                    softly.assertThat(response.status()).as(what).isEqualTo(expected == null ? 406 : 404);
                    continue;
                }
                if (expected == null) {
                    softly.assertThat(response.status()).as(what + ": " + response.text()).isEqualTo(406);
                } else {
                    softly.assertThat(response.status()).as(what + ": " + response.text()).isEqualTo(200);
                    softly.assertThat(response.contentType()).as(what).startsWith(expected);
                }
            }
        }
        for (Accept accept : Accept.values()) {
            for (String path : List.of("/v1/models", "/v1/datasets", "/v1/jobs", "/v1/jobs/no-such-job/result", "/v1/datasets/none")) {
                Response response = http.get(path, accept.header);
                String what = "GET " + path + " with Accept: " + accept.header;
                checkAnswer(softly, what, response);
            }
        }
        softly.assertAll();
        assertHealthy(http);
    }

    @Test
    void theReportedCasesAnswerAsTheyShould() {
        Http http = new Http(port);
        // Content negotiation: images preferred, anything allowed -> the PNG.
        Response png = http.postJson(MODEL + "/decode", "{\"latents\": [" + ZEROS + "]}", "image/*;q=0.9, */*;q=0.1");
        assertThat(png.status()).as(png.text()).isEqualTo(200);
        assertThat(png.contentType()).isEqualTo("image/png");
        Http.assertProblem(http.postJson(MODEL + "/decode", "{\"latents\": [" + ZEROS + "]}", "image/webp"), 406, "not-acceptable");

        // Malformed multipart -> 400 that says what was wrong.
        Response noParts = http.send(HttpRequest.newBuilder(http.uri(MODEL + "/encode"))
                .header("Content-Type", "multipart/form-data; boundary=x").POST(HttpRequest.BodyPublishers.ofString("--x\r\n\r\n--x--")));
        Http.assertProblem(noParts, 400, "malformed-multipart");
        Response noBoundary = http.send(HttpRequest.newBuilder(http.uri(MODEL + "/reconstruct"))
                .header("Content-Type", "multipart/form-data").POST(HttpRequest.BodyPublishers.ofString("garbage")));
        Http.assertProblem(noBoundary, 400, "malformed-multipart");
        assertThat(noBoundary.json().get("detail").asString()).contains("boundary");

        // Latents the decoder overflows on -> 422 naming the input, never NaN pixels.
        Response huge = http.postJson(MODEL + "/decode", "{\"latents\": [" + ZEROS + ", " + ZEROS.replace("0", "1e38")
                + "], \"includePixels\": true}");
        Http.assertProblem(huge, 422, "non-finite-output");
        assertThat(huge.json().get("detail").asString()).contains("input 1").contains("1.0E38");

        // JSON errors name the field, the value and what the field takes.
        Response tooLarge = http.postJson(MODEL + "/sample", "{\"count\": 2,\n \"topK\": 2147483648}");
        Http.assertProblem(tooLarge, 400, "bad-request");
        assertThat(tooLarge.json().get("detail").asString()).contains("'topK'", "2147483648", "line 2", "whole number");
        Response wrongType = http.postJson(MODEL + "/sample", "{\"count\": \"two\"}");
        Http.assertProblem(wrongType, 400, "bad-request");
        assertThat(wrongType.json().get("detail").asString()).contains("'count'", "two", "whole number");
        Response nested = http.postJson(MODEL + "/decode", "{\"latents\": [[0, \"x\"]]}");
        Http.assertProblem(nested, 400, "bad-request");
        assertThat(nested.json().get("detail").asString()).contains("'latents[0][1]'");
        Response duplicated = http.postJson(MODEL + "/sample", "{\"count\": 2, \"count\": 200}");
        Http.assertProblem(duplicated, 400, "bad-request");
        assertThat(duplicated.json().get("detail").asString()).contains("count");
        Response truncated = http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\"");
        Http.assertProblem(truncated, 400, "bad-request");
        assertThat(truncated.json().get("detail").asString()).contains("line 1");
    }

    /** What a newcomer trying to break the service found, each now with its answer. */
    @Test
    void whatANewcomerFoundAnswersAsItShould() throws IOException {
        Http http = new Http(port);
        Response limit = http.get("/v1/jobs?limit=0");
        Http.assertProblem(limit, 400, "bad-request");
        assertThat(limit.json().get("detail").asString()).contains("limit", "0");

        Response epochs = http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"m\", \"epochs\": 0, \"learningRate\": -0.1}");
        Http.assertProblem(epochs, 400, "bad-request");
        assertThat(epochs.json().get("detail").asString()).contains("epochs", "learningRate");

        byte[] idx = dev.latentserve.testing.TestFiles.idx(dev.latentserve.testing.SyntheticImages.blobs(
                new dev.latentserve.image.ImageShape(1, 28, 28), 16, 1));
        Response uploaded = http.postBytes("/v1/datasets?name=corpus", "application/octet-stream", idx);
        assertThat(uploaded.status()).as(uploaded.text()).isEqualTo(201);
        String dataset = uploaded.json().get("id").asString();
        Response sigma = http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"m\", \"family\": \"vae\", \"dataset\": \"" + dataset + "\", "
                + "\"batchSize\": 8, \"architecture\": {\"likelihood\": \"gaussian\", \"sigma\": \"2\"}}");
        assertThat(sigma.status()).as(sigma.text()).isIn(400, 422);
        assertThat(sigma.json().get("detail").asString()).contains("sigma", "the string \"2\"");

        Response fraction = http.postJson(MODEL + "/sample", "{\"count\": 1.5}");
        Http.assertProblem(fraction, 400, "bad-request");
        assertThat(fraction.json().get("detail").asString()).contains("'count'", "whole number");

        String ranges = String.join(",", java.util.Collections.nCopies(64, "*/*"));
        Response tooMany = http.postJson(MODEL + "/decode", "{\"latents\": [" + ZEROS + "]}", ranges);
        Http.assertProblem(tooMany, 400, "invalid-accept-header");
        assertThat(tooMany.json().get("detail").asString()).contains("64 media ranges");

        byte[] png = dev.latentserve.testing.TestFiles.png(new dev.latentserve.image.ImageShape(1, 28, 28), 0.5f);
        Response dataUrl = http.postJson(MODEL + "/encode", "{\"images\": [\"data:image/png;base64,"
                + java.util.Base64.getEncoder().encodeToString(png) + "\"]}");
        assertThat(dataUrl.status()).as(dataUrl.text()).isEqualTo(200);

        // 60 image parts: more than Tomcat's default of 50 parts, fewer than max-batch.
        List<Http.Part> parts = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            parts.add(new Http.Part("image", i + ".png", "image/png", png));
        }
        Response many = http.postMultipart(MODEL + "/encode", parts, "application/json");
        assertThat(many.status()).as(many.text()).isEqualTo(200);
        assertThat(many.json().get("latents")).hasSize(60);

        // curl -F "image=<shirt.png" sends a text field, not a file part.
        Response textField = http.send(HttpRequest.newBuilder(http.uri(MODEL + "/encode"))
                .header("Content-Type", "multipart/form-data; boundary=x").POST(HttpRequest.BodyPublishers.ofString(
                        "--x\r\nContent-Disposition: form-data; name=\"picture\"\r\n\r\nabc\r\n--x--\r\n")));
        Http.assertProblem(textField, 400, "bad-request");
        assertThat(textField.json().get("detail").asString()).contains("no file part named 'image'", "=@");
        Response seed = http.postMultipart(MODEL + "/encode?seed=1.5e99", List.of(parts.getFirst()), "application/json");
        Http.assertProblem(seed, 400, "bad-request");
        assertThat(seed.json().get("detail").asString()).contains("'seed'", "whole number", "1.5e99");

        Response emptyZip = http.postBytes("/v1/datasets?name=empty", "application/octet-stream",
                new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        Http.assertProblem(emptyZip, 422, "invalid-dataset");
        assertThat(emptyZip.json().get("detail").asString()).contains("no PNG or JPEG images");
    }

    /**
     * Requests broken below HTTP's semantics, written byte by byte on a socket because an HTTP client will not send
     * them. Tomcat answers these itself, outside Spring MVC: its parser (through ProblemReportValve) and its body
     * reader (through the error dispatch to ErrorProblemController). Each answer is a problem that says what was wrong.
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void containerLevelErrorsAreProblemsToo(CapturedOutput output) throws IOException {
        String head = "Host: localhost\r\nX-API-Key: " + Http.ADMIN_KEY + "\r\n";
        String sample = "POST " + MODEL + "/sample HTTP/1.1\r\n" + head + "Content-Type: application/json\r\n";
        Map<String, RawCase> cases = new LinkedHashMap<>();
        cases.put("a 10 KB Accept header", new RawCase(ascii("GET /v1/models HTTP/1.1\r\n" + head
                + "Accept: " + "application/json;q=0.5, ".repeat(440) + "*/*\r\n\r\n"), true, 431, "request-header-too-large"));
        cases.put("two Content-Length headers", new RawCase(ascii(sample + "Content-Length: 2\r\nContent-Length: 12\r\n\r\n{}"),
                true, 400, "invalid-content-length"));
        cases.put("a raw 0xE4 byte in the query", new RawCase(concat(ascii("GET /v1/models?name="), new byte[] {(byte) 0xE4},
                ascii(" HTTP/1.1\r\n" + head + "\r\n")), true, 400, "invalid-request-target"));
        cases.put("a JSON body shorter than its Content-Length", new RawCase(ascii(sample + "Content-Length: 1000\r\n\r\n"
                + "{\"count\": 2, \"seed\""), true, 400, "incomplete-body"));
        cases.put("a dataset upload shorter than its Content-Length", new RawCase(ascii("POST /v1/datasets HTTP/1.1\r\n" + head
                + "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n\u0093NUMPY\u0001\u0000v\u0000{'descr'"),
                true, 400, "incomplete-body"));
        // The client stays connected and sends nothing more: Tomcat gives up after server.tomcat.connection-timeout.
        cases.put("a body that stops arriving", new RawCase(ascii(sample + "Content-Length: 1000\r\n\r\n{\"count\": 2"), false, 408,
                "request-timeout"));
        SoftAssertions softly = new SoftAssertions();
        for (var entry : cases.entrySet()) {
            RawCase raw = entry.getValue();
            RawHttp.Response response = raw.send(port);
            String what = entry.getKey() + " answered " + response;
            softly.assertThat(response.status()).as(what).isEqualTo(raw.status());
            softly.assertThat(response.headers().getOrDefault("content-type", "")).as(what).startsWith("application/problem+json");
            if (response.headers().getOrDefault("content-type", "").startsWith("application/problem+json")) {
                JsonNode problem = Http.JSON.readTree(response.body());
                softly.assertThat(problem.path("type").asString("")).as(what).isEqualTo(ProblemHandler.TYPE_BASE + raw.type());
                softly.assertThat(problem.path("status").asInt()).as(what).isEqualTo(raw.status());
                softly.assertThat(problem.path("detail").asString("")).as(what).isNotBlank()
                        .doesNotContain("Exception").doesNotContain("org.apache");
            }
        }
        // A body cut short is the client's doing: not logged as an unexpected server error.
        softly.assertThat(output.getAll()).doesNotContain("unexpected error on POST");
        softly.assertAll();
        assertHealthy(new Http(port));
    }

    /** Bytes to write, whether to half-close after them (a body that ends early), and the problem expected. */
    record RawCase(byte[] request, boolean halfClose, int status, String type) {

        RawHttp.Response send(int port) throws IOException {
            return RawHttp.send(port, request, halfClose);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Common Accept headers and the type each should get from an endpoint offering JSON (and maybe PNG). */
    enum Accept {
        ANY("*/*", "application/json", "application/json"),
        IMAGES_PREFERRED("image/*;q=0.9, */*;q=0.1", "image/png", "application/json"),
        PNG("image/png", "image/png", null),
        JSON("application/json", "application/json", "application/json"),
        PROBLEM_JSON("application/problem+json", null, null),
        BROWSER("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
                "application/json", "application/json"),
        BROWSER_IMAGE("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/png", "application/json"),
        PYTHON_REQUESTS("*/*", "application/json", "application/json"),
        APPLICATION_ANY("application/*", "application/json", "application/json"),
        JSON_THEN_PNG("application/json;q=0.5, image/png", "image/png", "application/json"),
        PNG_REFUSED("image/png;q=0, */*", "application/json", "application/json"),
        WEBP_ONLY("image/webp", null, null),
        TEXT_ONLY("text/plain", null, null),
        MALFORMED("this is ;; not a media type", null, null);

        final String header;
        private final String withPng;
        private final String jsonOnly;

        Accept(String header, String withPng, String jsonOnly) {
            this.header = header;
            this.withPng = withPng;
            this.jsonOnly = jsonOnly;
        }

        String expected(boolean offersPng) {
            return offersPng ? withPng : jsonOnly;
        }
    }

    private static void checkAnswer(SoftAssertions softly, String what, Response response) {
        int status = response.status();
        boolean allowed = (status >= 200 && status < 300) || (status >= 400 && status < 500) || status == 503;
        softly.assertThat(allowed).as(what + " answered " + status + ": " + response.text()).isTrue();
        if (status >= 400) {
            softly.assertThat(response.contentType()).as(what + ": problem content type").startsWith("application/problem+json");
            if (response.contentType().startsWith("application/problem+json")) {
                JsonNode problem = response.json();
                softly.assertThat(problem.path("detail").asString("")).as(what + ": detail").isNotBlank();
                softly.assertThat(problem.path("type").asString("")).as(what + ": type").startsWith(ProblemHandler.TYPE_BASE);
                softly.assertThat(problem.path("detail").asString("")).as(what + ": detail must say more than Spring's default")
                        .doesNotStartWith("Failed to read request").doesNotStartWith("Failed to write request");
            }
        }
        if (status == 200 && response.contentType().startsWith("application/json")) {
            softly.assertThat(nonFinite(response.json())).as(what + ": no non-finite numbers").isFalse();
        }
    }

    /** Jackson writes a NaN or infinite float as the string "NaN" or "Infinity". */
    private static boolean nonFinite(JsonNode node) {
        if (node.isString()) {
            return List.of("NaN", "Infinity", "-Infinity").contains(node.asString());
        }
        if (node.isNumber()) {
            return !Double.isFinite(node.asDouble());
        }
        for (JsonNode child : node) {
            if (nonFinite(child)) {
                return true;
            }
        }
        return false;
    }

    private static void assertHealthy(Http http) {
        Response sample = http.postJson(MODEL + "/sample", "{\"count\": 2, \"seed\": 3}");
        assertThat(sample.status()).as(sample.text()).isEqualTo(200);
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
