package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http.Response;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** {@code /v1/models} through the whole application: manifests of trained versions, and deleting one. */
class ModelApiIntegrationTests extends ApiIntegrationSupport {

    @Autowired
    DataSource dataSource;

    String expectedDatabase() {
        return "H2";
    }

    @Test
    void runsOnTheExpectedDatabase() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo(expectedDatabase());
        }
    }

    @Test
    void registryListsManifestsAndDeletesVersions() throws InterruptedException {
        JsonNode models = http.get("/v1/models").json();
        assertThat(models.valueStream().map(m -> m.get("name").asString()).toList()).contains(MODEL, "fashion-vae");
        JsonNode manifest = http.get("/v1/models/" + MODEL + "/versions/1").json();
        assertThat(manifest.get("family").asString()).isEqualTo("vae");
        assertThat(manifest.get("inputShape").get("height").asInt()).isEqualTo(16);
        assertThat(manifest.get("architecture").get("latentDim").asInt()).isEqualTo(4);
        assertThat(manifest.get("latent").get("dimension").asInt()).isEqualTo(4);
        assertThat(manifest.get("training").get("dataset").asString()).isEqualTo(trainId);
        assertThat(manifest.get("metrics").get("testNegativeElbo").asDouble()).isPositive();
        assertThat(manifest.get("createdAt").isString()).isTrue();
        assertThat(http.get("/v1/models/" + MODEL).json().get("versions")).hasSize(1);
        assertProblem(http.get("/v1/models/" + MODEL + "/versions/99"), 404, "model-not-found");
        assertProblem(http.get("/v1/models/nothing-here"), 404, "model-not-found");

        // A second version to delete, so the other tests keep version 1.
        JsonNode job = submitSmallJob(MODEL + "-copy", 1);
        assertThat(job.get("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(http.postJson("/v1/models/" + MODEL + "-copy/sample", "{\"count\": 1}").status()).isEqualTo(200);
        assertThat(http.delete("/v1/models/" + MODEL + "-copy/versions/1").status()).isEqualTo(204);
        assertProblem(http.postJson("/v1/models/" + MODEL + "-copy/sample", "{\"count\": 1}"), 404, "model-not-found");
        assertProblem(http.delete("/v1/models/" + MODEL + "-copy/versions/1"), 404, "model-not-found");
    }

    private JsonNode submitSmallJob(String model, int epochs) throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "%s", "family": "vae", "dataset": "%s", "epochs": %d, "batchSize": 64,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(model, trainId, epochs));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        return waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(120));
    }
}
