package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The shipped model behind a queue of one and one worker: a burst gets 503 + Retry-After, never a 500 or a hang. */
class BackpressureIntegrationTests {

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) throws IOException {
        String dir = Files.createTempDirectory("latentserve-backpressure").toString();
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
        }
    }
}
