package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code /sample} with {@code Accept: text/event-stream} through a real server and real sockets (MockMvc cannot see a
 * client hang up): a VQ-VAE (32x32 images, 16x16 codes: 256 prior passes a sample) with a prior streams progress,
 * previews and the result /sample answers; a client that disconnects or runs out of time stops its sampling loop and
 * frees the engine. Its own context: the request timeout is 4 s here, up to 256 samples are drawn at once (not as a
 * job), and the prior runs its full pass per position: the timeout tests need a loop that outlasts 4 s, and the
 * incremental sampler draws 256 such samples in well under that. The loop, its cancellation and the events are the
 * same for both samplers (the incremental one's handling of cancelled rows is tested in IncrementalGatedPixelCnnTests).
 */
@TestPropertySource(properties = {"latentserve.serving.request-timeout=4s", "latentserve.serving.max-sync-samples=256",
        "latentserve.sampling.incremental=false"})
class SampleStreamingIntegrationTests extends ApiIntegrationSupport {

    private static final String VQ = "streamed";
    private static final String PATH = "/v1/models/" + VQ + "/sample";
    private static final Pattern CANCELLED = Pattern.compile("latentserve_sampling_cancelled_samples_total\\{[^}]*model=\""
            + VQ + "\"[^}]*reason=\"([a-z-]+)\"[^}]*} ([0-9.E]+)");
    /** The most samples a request takes: a loop of them (256 passes over 256 maps of 16x16 codes) takes far over 4 s. */
    private static final int LONG_COUNT = 256;

    private static final int POSITIONS = 16 * 16;

    /** One position of a one-sample loop, measured. */
    private double positionMillis;

    @BeforeAll
    void trainAVqVaeWithAPrior() throws InterruptedException {
        ImageShape shape = new ImageShape(1, 32, 32);
        Response uploaded = http.postBytes("/v1/datasets?name=blobs-32", "application/octet-stream",
                TestFiles.idx(SyntheticImages.blobs(shape, 256, 3)));
        assertThat(uploaded.status()).as(uploaded.text()).isEqualTo(201);
        String dataset = uploaded.json().get("id").asString();
        run("""
                {"type": "train", "model": "%s", "family": "vqvae", "dataset": "%s", "epochs": 1, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "downsamplings": 1, "codes": 16, "codeDim": 8}}""".formatted(VQ, dataset));
        run("""
                {"type": "fit-prior", "model": "%s@1", "dataset": "%s", "epochs": 1, "batchSize": 32, "learningRate": 0.003,
                 "architecture": {"channels": 16, "layers": 3, "hidden": 32}}""".formatted(VQ, dataset));
        // The first call of a shape is slow (oneDNN prepares its kernels): measure the second.
        sample("{\"count\": 1, \"seed\": 0}");
        long started = System.nanoTime();
        assertThat(sample("{\"count\": 1, \"seed\": 1}").status()).isEqualTo(200);
        positionMillis = (System.nanoTime() - started) / 1e6 / POSITIONS;
        System.out.printf("streaming tests: %.1f ms per position at count 1%n", positionMillis);
    }

    private Response sample(String body) {
        return http.postJson(PATH, body);
    }

    record Event(String name, JsonNode data) {
    }

    /** The events of one streamed request, read to the end of the stream. */
    private List<Event> stream(String path, String body) throws IOException {
        Response response = http.postJson(path, body, "text/event-stream");
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("text/event-stream");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
        List<Event> events = new ArrayList<>();
        String name = null;
        for (String line : response.text().split("\n")) {
            if (line.startsWith("event:")) {
                name = line.substring("event:".length());
            } else if (line.startsWith("data:")) {
                events.add(new Event(name, Http.JSON.readTree(line.substring("data:".length()))));
            }
        }
        return events;
    }

    @Test
    void aStreamReportsEachPositionPreviewsAndEndsWithWhatSampleAnswers() throws IOException {
        String body = "{\"count\": 2, \"seed\": 7, \"topK\": 8, \"previewEvery\": 4}";
        List<Event> events = stream(PATH, body);

        List<Event> progress = events.stream().filter(e -> e.name().equals("progress")).toList();
        assertThat(progress).isNotEmpty();
        double last = 0;
        for (Event event : progress) {
            assertThat(event.data().get("level").asString()).isEqualTo("codes");
            assertThat(event.data().get("positions").asInt()).isEqualTo(POSITIONS);
            assertThat(event.data().get("fraction").asDouble()).isGreaterThan(last).isLessThanOrEqualTo(1);
            assertThat(event.data().get("fraction").asDouble()).isEqualTo(event.data().get("position").asInt() / (double) POSITIONS);
            assertThat(event.data().get("elapsedMs").asLong()).isNotNegative();
            last = event.data().get("fraction").asDouble();
        }
        assertThat(last).isEqualTo(1.0);
        List<Event> previews = events.stream().filter(e -> e.name().equals("preview")).toList();
        assertThat(previews).isNotEmpty();
        for (Event preview : previews) {
            assertThat(preview.data().get("rows").asInt()).isIn(4, 8, 12);
            byte[] png = Base64.getDecoder().decode(preview.data().get("png").asString());
            // Two 32x32 samples side by side in one grid, 2 pixels apart.
            assertThat(ImageIO.read(new ByteArrayInputStream(png)).getWidth()).isEqualTo(66);
        }
        Event result = events.getLast();
        assertThat(result.name()).isEqualTo("result");
        assertThat(result.data()).isEqualTo(sample(body).json());
        assertThat(result.data().get("codes")).hasSize(2);
    }

    @Test
    void aVaeStreamsItsResultAlone() throws IOException {
        String body = "{\"count\": 3, \"seed\": 2, \"previewEvery\": 1}";
        List<Event> events = stream("/v1/models/" + MODEL + "/sample", body);

        assertThat(events).extracting(Event::name).containsExactly("result");
        assertThat(events.getFirst().data()).isEqualTo(http.postJson("/v1/models/" + MODEL + "/sample", body).json());
    }

    @Test
    void whatIsWrongBeforeTheStreamStartsIsAPlainProblem() {
        assertProblem(http.postJson("/v1/models/nope/sample", "{}", "text/event-stream"), 404, "model-not-found");
        assertProblem(http.postJson(PATH, "{\"previewEvery\": 5000}", "text/event-stream"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{\"count\": 0}", "text/event-stream"), 400, "out-of-range");
    }

    @Test
    void theOpenApiDocumentNamesTheEventsAndTheirData() {
        JsonNode sample = http.get("/v3/api-docs").json().get("paths").get("/v1/models/{model}/sample").get("post");
        assertThat(sample.get("responses").get("200").get("content").has("text/event-stream")).as(sample.toString()).isTrue();
        assertThat(sample.get("responses").get("200").get("content").has("application/json")).isTrue();
        String described = sample.toString();
        assertThat(described).contains("`progress`", "`preview`", "`result`", "`job`", "`error`", "previewEvery");
    }

    @Test
    void aClientThatHangsUpStopsItsSamplingAndTheEngineServesTheNextRequest() throws Exception {
        double before = cancelled("client-gone");
        List<String> read = new ArrayList<>();
        long hungUp = hangUpAfter("text/event-stream", "event:progress", 3, read);
        long started = System.nanoTime();
        Response next = sample("{\"count\": 1, \"seed\": 4}");
        long nextMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(next.status()).isEqualTo(200);
        long baseline = System.nanoTime();
        assertThat(sample("{\"count\": 1, \"seed\": 4}").status()).isEqualTo(200);
        long aloneMillis = (System.nanoTime() - baseline) / 1_000_000;

        List<Long> elapsed = read.stream().filter(line -> line.contains("elapsedMs"))
                .map(line -> Http.JSON.readTree(line.substring(line.indexOf('{'))).get("elapsedMs").asLong()).toList();
        long position = elapsed.getLast() - elapsed.get(elapsed.size() - 2);
        System.out.printf("hung up: the long loop took ~%d ms a position; the next request took %d ms, %d ms alone: the engine "
                + "was free ~%d ms after the hang-up%n", position, nextMillis, aloneMillis,
                (started - hungUp) / 1_000_000 + nextMillis - aloneMillis);
        // Without the cancel, the next request would wait for the rest of the loop, over 4 s (it outlasts the timeout).
        assertThat(nextMillis - aloneMillis).isLessThan(2000);
        assertThat(cancelled("client-gone") - before).isEqualTo(LONG_COUNT);
    }

    /**
     * Sends a long /sample on a socket of its own, reads until {@code lines} lines containing {@code marker} came (none
     * when 0), keeping the lines read in {@code read}, then closes the socket; returns when it closed.
     */
    private long hangUpAfter(String accept, String marker, int lines, List<String> read) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            String body = "{\"count\": " + LONG_COUNT + ", \"seed\": 3}";
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + PATH + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: " + accept
                    + "\r\nX-API-Key: " + Http.ADMIN_KEY + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int seen = 0;
            while (seen < lines && (line = in.readLine()) != null) {
                read.add(line);
                seen += line.contains(marker) ? 1 : 0;
            }
            assertThat(seen).as("lines with %s before hanging up", marker).isEqualTo(lines);
        }
        return System.nanoTime();
    }

    @Test
    void aPlainRequestWhoseClientHangsUpRunsUntilItsTimeoutThenStops() throws Exception {
        double gone = cancelled("client-gone");
        double timedOut = cancelled("inference-timeout");
        long hungUp = hangUpAfter("application/json", "", 0, new ArrayList<>());

        Thread.sleep(1000);
        // Tomcat does not watch the connection of a request waiting for its answer: nothing has noticed yet.
        assertThat(cancelled("client-gone")).isEqualTo(gone);
        // The request timeout (4 s) stops the loop, which would have run far longer. Waiting for it before the next
        // request keeps that request's own 4 s clear of the queue (on a loaded machine it could run out behind the loop).
        long limit = 4000L + (long) (POSITIONS * positionMillis) + 1500;
        while (cancelled("inference-timeout") - timedOut < LONG_COUNT && (System.nanoTime() - hungUp) / 1_000_000 < limit) {
            Thread.sleep(20);
        }
        long freed = (System.nanoTime() - hungUp) / 1_000_000;
        assertThat(cancelled("inference-timeout") - timedOut).isEqualTo(LONG_COUNT);
        assertThat(freed).isBetween(3900L, limit);
        long started = System.nanoTime();
        assertThat(sample("{\"count\": 1, \"seed\": 8}").status()).isEqualTo(200);
        assertThat(cancelled("client-gone")).isEqualTo(gone);
        System.out.printf("a plain request hung up: the engine was free %d ms later (the next took %d ms)%n", freed,
                (System.nanoTime() - started) / 1_000_000);
    }

    @Test
    void aRequestPastItsTimeoutGets503AndItsLoopStops() throws Exception {
        double before = cancelled("inference-timeout");
        long started = System.nanoTime();
        Response late = sample("{\"count\": " + LONG_COUNT + ", \"seed\": 5}");
        long lateMillis = (System.nanoTime() - started) / 1_000_000;
        assertProblem(late, 503, "inference-timeout");
        assertThat(lateMillis).isBetween(3900L, 6000L);

        started = System.nanoTime();
        assertThat(sample("{\"count\": 1, \"seed\": 6}").status()).isEqualTo(200);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan((long) (POSITIONS * positionMillis) + 1500);
        assertThat(cancelled("inference-timeout") - before).isEqualTo(LONG_COUNT);

        // Streamed, the problem comes as the last event.
        List<Event> events = stream(PATH, "{\"count\": " + LONG_COUNT + ", \"seed\": 5}");
        Event error = events.getLast();
        assertThat(error.name()).isEqualTo("error");
        assertThat(error.data().get("status").asInt()).isEqualTo(503);
        assertThat(error.data().get("type").asString()).endsWith("/inference-timeout");
        assertThat(error.data().get("instance").asString()).isEqualTo(PATH);
        assertThat(events).extracting(Event::name).contains("progress");
        // Its loop stops at the next position after the timeout, a moment after the error event went out.
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (cancelled("inference-timeout") - before < 2 * LONG_COUNT && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(cancelled("inference-timeout") - before).isEqualTo(2 * LONG_COUNT);
    }

    private double cancelled(String reason) {
        Matcher matcher = CANCELLED.matcher(http.get("/actuator/prometheus").text());
        while (matcher.find()) {
            if (matcher.group(1).equals(reason)) {
                return Double.parseDouble(matcher.group(2));
            }
        }
        return 0;
    }
}
