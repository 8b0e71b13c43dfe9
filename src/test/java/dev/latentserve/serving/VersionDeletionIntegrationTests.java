package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Deleting a version drains its queue before the model is unloaded: requests already queued are still answered. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "latentserve.serving.models.fashion-vae.max-batch-delay=3s", "latentserve.serving.models.fashion-vae.workers=1",
        "latentserve.roles=api"})
class VersionDeletionIntegrationTests {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) throws IOException {
        String dir = Files.createTempDirectory("latentserve-deletion").toString();
        registry.add("latentserve.storage.root", () -> dir);
    }

    @Test
    void requestsQueuedForADeletedVersionAreAnsweredBeforeItIsUnloaded() throws Exception {
        Http http = new Http(port);
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            // Waits up to 3 s in the queue for company.
            Future<Response> queued = pool.submit(() -> http.postJson("/v1/models/fashion-vae@1/sample", "{\"count\": 2}"));
            Thread.sleep(500);
            long start = System.nanoTime();
            Response deleted = http.delete("/v1/models/fashion-vae/versions/1");
            assertThat(deleted.status()).as(deleted.text()).isBetween(200, 204);
            assertThat((System.nanoTime() - start) / 1e6).as("the drain runs the batch at once").isLessThan(2500);
            Response answer = queued.get();
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            assertThat(answer.json().get("images").size()).isEqualTo(2);
        }
        Response gone = http.postJson("/v1/models/fashion-vae@1/sample", "{\"count\": 2}");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().get("type").asString()).endsWith("/model-not-found");
    }
}
