package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.Rows;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Serving through HTTP on the shipped VAE: a burst beyond a full queue gets 503 + Retry-After, never a 500 or a hang;
 * requests merged into one batch answer as they do alone; a request that times out while queued is dropped.
 */
class ServingIntegrationTests {

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) throws IOException {
        String dir = Files.createTempDirectory("latentserve-serving").toString();
        registry.add("latentserve.storage.root", () -> dir);
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
            "latentserve.serving.workers-per-model=1", "latentserve.serving.queue-capacity=1", "latentserve.roles=api"})
    class FullQueue {

        @LocalServerPort
        int port;

        @Test
        void aBurstBeyondTheQueueIsTurnedAwayAtOnce() throws Exception {
            Http http = new Http(port);
            ExecutorService clients = Executors.newFixedThreadPool(24);
            try {
                List<Future<Response>> responses = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    long seed = i;
                    responses.add(clients.submit(() -> http.postJson("/v1/models/fashion-vae/sample",
                            "{\"count\": 256, \"seed\": " + seed + "}")));
                }
                int ok = 0;
                int busy = 0;
                for (Future<Response> future : responses) {
                    Response response = future.get();
                    if (response.status() == 200) {
                        ok++;
                    } else {
                        assertThat(response.status()).as(response.text()).isEqualTo(503);
                        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                        assertThat(response.json().get("type").asString()).endsWith("/overloaded");
                        busy++;
                    }
                }
                assertThat(ok).isPositive();
                assertThat(busy).isPositive();
                // The Open Inference Protocol shares the queue and its refusals, in its own {"error"} form.
                List<Future<Response>> open = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    open.add(clients.submit(() -> http.postJson("/v2/models/fashion-vae.sample/infer",
                            "{\"parameters\": {\"count\": 256}, \"inputs\": []}")));
                }
                int openBusy = 0;
                int turnedAwayUnread = 0;
                for (Future<Response> future : open) {
                    Response response = future.get();
                    if (response.status() != 200) {
                        assertThat(response.status()).as(response.text()).isEqualTo(503);
                        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                        String error = response.json().get("error").asString();
                        // The admission filter's words (before the body is read), or the queue's own at submission.
                        assertThat(error).containsAnyOf("has a full queue", "requests waiting already");
                        turnedAwayUnread += error.contains("has a full queue") ? 1 : 0;
                        openBusy++;
                    }
                }
                assertThat(openBusy).isPositive();
                assertThat(turnedAwayUnread).as("refused before the body was read").isPositive();
                assertThat(http.get("/actuator/prometheus").text()).contains("latentserve_inference_rejected_total",
                        "reason=\"overloaded\"", "latentserve_inference_queue_depth", "latentserve_inference_queue_time_seconds");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
            "latentserve.serving.request-timeout=1ms", "latentserve.roles=api"})
    class Timeout {

        @LocalServerPort
        int port;

        @Test
        void aRequestThatOutlivesItsTimeoutGets503() {
            Response response = new Http(port).postJson("/v1/models/fashion-vae/sample", "{\"count\": 256}");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.json().get("type").asString()).endsWith("/inference-timeout");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            Response open = new Http(port).postJson("/v2/models/fashion-vae.sample/infer",
                    "{\"parameters\": {\"count\": 256}, \"inputs\": []}");
            assertThat(open.status()).as(open.text()).isEqualTo(503);
            assertThat(open.json().get("error").asString()).isNotBlank();
            assertThat(open.headers().firstValue("Retry-After")).isPresent();
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
            "latentserve.serving.models.fashion-vae.max-batch-delay=300ms", "latentserve.serving.models.fashion-vae.workers=1",
            "latentserve.roles=api"})
    class Merging {

        @LocalServerPort
        int port;

        @Test
        void concurrentRequestsShareABatchAndGetWhatTheyGetAlone() throws Exception {
            Http http = new Http(port);
            int clients = 8;
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                bodies.add("{\"count\": " + (1 + i % 3) + ", \"seed\": " + (100 + i) + ", \"includePixels\": true}");
            }
            List<Response> together = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
                List<Future<Response>> futures = new ArrayList<>();
                for (String body : bodies) {
                    futures.add(pool.submit(() -> http.postJson("/v1/models/fashion-vae/sample", body)));
                }
                for (Future<Response> future : futures) {
                    together.add(future.get());
                }
            }
            String metrics = http.get("/actuator/prometheus").text();
            assertThat(largestBucketHit(metrics)).as("some engine call merged several requests").isGreaterThan(1);

            for (int i = 0; i < clients; i++) {
                Response alone = http.postJson("/v1/models/fashion-vae/sample", bodies.get(i));
                assertThat(together.get(i).status()).isEqualTo(200);
                JsonNode merged = together.get(i).json();
                JsonNode single = alone.json();
                assertThat(merged.get("seed").asLong()).isEqualTo(100 + i);
                assertThat(merged.get("images").size()).isEqualTo(1 + i % 3);
                Rows.assertClose(floats(merged.get("latents")), floats(single.get("latents")));
                Rows.assertClose(pixels(merged.get("images")), pixels(single.get("images")));
            }
        }

        /** The largest "requests per engine call" bucket bound (le) that holds a count, from the Prometheus histogram. */
        private static double largestBucketHit(String metrics) {
            Matcher line = Pattern.compile("latentserve_inference_batch_requests_bucket\\{([^}]*)} ([0-9.]+)").matcher(metrics);
            Pattern le = Pattern.compile("le=\"([^\"]+)\"");
            double previousCount = 0;
            double largest = 0;
            while (line.find()) {
                if (!line.group(1).contains("operation=\"sample\"")) {
                    continue;
                }
                Matcher bound = le.matcher(line.group(1));
                double count = Double.parseDouble(line.group(2));
                if (bound.find() && !bound.group(1).equals("+Inf") && count > previousCount) {
                    largest = Double.parseDouble(bound.group(1));
                }
                previousCount = count;
            }
            return largest;
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
            "latentserve.serving.models.fashion-vae.max-batch-delay=3s", "latentserve.serving.models.fashion-vae.workers=1",
            "latentserve.serving.request-timeout=1s", "latentserve.roles=api"})
    class TimedOutWhileQueued {

        @LocalServerPort
        int port;

        @Test
        void getsA503AndItsWorkNeverReachesTheEngine() throws Exception {
            Http http = new Http(port);
            long start = System.nanoTime();
            Response response = http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 4, \"seed\": 1}");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.json().get("type").asString()).endsWith("/inference-timeout");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            assertThat((System.nanoTime() - start) / 1e9).as("answered at the timeout, not after the batch delay").isLessThan(2.5);
            // Past the batch delay: the dropped request never ran.
            Thread.sleep(3000);
            String metrics = http.get("/actuator/prometheus").text();
            assertThat(metrics).doesNotContainPattern("latentserve_inference_engine_time_seconds_count\\{[^}]*operation=\"sample\"");
            assertThat(metrics).containsPattern("latentserve_inference_rejected_total\\{[^}]*operation=\"sample\"[^}]*"
                    + "reason=\"inference-timeout\"[^}]*} 1.0");
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
            "latentserve.serving.models.fashion-vae.max-batch-delay=2s", "latentserve.serving.models.fashion-vae.workers=1",
            "latentserve.serving.models.fashion-vae.queue-capacity=1", "latentserve.roles=api"})
    class FullQueueFastPath {

        @LocalServerPort
        int port;

        @Test
        void aRequestForAFullQueueIsRefusedBeforeItsBodyIsRead() throws Exception {
            Http http = new Http(port);
            try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
                // Waits up to 2 s in the queue for company, filling it.
                Future<Response> queued = pool.submit(() -> http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 2}"));
                Thread.sleep(500);
                long start = System.nanoTime();
                Response refused = http.postJson("/v1/models/fashion-vae%401/sample", "{\"count\": 2}");
                assertThat((System.nanoTime() - start) / 1e6).as("answered at once").isLessThan(1000);
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.contentType()).startsWith("application/problem+json");
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                JsonNode problem = refused.json();
                assertThat(problem.propertyNames()).containsExactlyInAnyOrder("type", "title", "status", "detail", "instance");
                assertThat(problem.get("status").asInt()).isEqualTo(503);
                assertThat(problem.get("title").asString()).isEqualTo("Model is busy");
                assertThat(problem.get("type").asString()).endsWith("/overloaded");
                assertThat(problem.get("detail").asString()).as("the filter's answer").contains("has a full queue");
                assertThat(problem.get("instance").asString()).isEqualTo("/v1/models/fashion-vae%401/sample");
                // Even a malformed body: the queue is full, so nothing reads it.
                assertThat(http.postJson("/v1/models/fashion-vae/encode", "{not json").status()).isEqualTo(503);
                assertThat(queued.get().status()).isEqualTo(200);
            }
            // Once the queue has room, the same malformed body gets its 400.
            assertThat(http.postJson("/v1/models/fashion-vae/encode", "{not json").status()).isEqualTo(400);
        }
    }

    private static float[][] floats(JsonNode rows) {
        float[][] result = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            result[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) {
                result[i][j] = (float) row.get(j).asDouble();
            }
        }
        return result;
    }

    private static float[][] pixels(JsonNode images) {
        List<JsonNode> rows = new ArrayList<>();
        images.forEach(image -> rows.add(image.get("pixels")));
        return floats(Http.JSON.valueToTree(rows));
    }
}
