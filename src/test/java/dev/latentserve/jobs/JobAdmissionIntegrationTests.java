package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * An API-only process (no worker, so jobs stay queued) with room for one active job: the second submission is
 * refused with 429 and Retry-After, and nothing is queued for it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"latentserve.roles=api", "latentserve.jobs.max-active=1", "latentserve.registry.install-shipped=false"})
class JobAdmissionIntegrationTests {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        Path dataDir = Files.createTempDirectory("latentserve-admission");
        registry.add("latentserve.storage.root", dataDir::toString);
    }

    @Test
    void beyondTheActiveJobLimitSubmissionsGet429WithRetryAfter() {
        Http http = new Http(port);
        String dataset = http.postBytes("/v1/datasets", "application/octet-stream",
                TestFiles.idx(SyntheticImages.blobs(new ImageShape(1, 8, 8), 16, 1))).json().get("id").asString();
        String job = "{\"type\": \"train\", \"model\": \"m\", \"family\": \"vae\", \"dataset\": \"" + dataset
                + "\", \"batchSize\": 8, \"architecture\": {\"channels\": [4]}}";
        Response first = http.postJson("/v1/jobs", job);
        assertThat(first.status()).isEqualTo(202);
        Response second = http.postJson("/v1/jobs", job);
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(second.json().get("type").asString()).endsWith("/too-many-jobs");
        assertThat(http.get("/v1/jobs").json()).hasSize(1);
        assertThat(http.get(first.headers().firstValue("Location").orElseThrow()).json().get("state").asString()).isEqualTo("QUEUED");
        // Cancelling the queued job frees the slot.
        assertThat(http.delete(first.headers().firstValue("Location").orElseThrow()).status()).isEqualTo(202);
        assertThat(http.postJson("/v1/jobs", job).status()).isEqualTo(202);
    }
}
