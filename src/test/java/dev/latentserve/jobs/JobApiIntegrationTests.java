package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/jobs} through the whole application: validation, a quick run on part of the data, cancelling, a vanished
 * dataset, event streams.
 */
class JobApiIntegrationTests extends ApiIntegrationSupport {

    @Test
    void jobRequestsAreValidatedBeforeAnythingIsQueued() {
        int before = http.get("/v1/jobs").json().size();
        String valid = "{\"type\": \"train\", \"model\": \"m\", \"family\": \"vae\", \"dataset\": \"" + trainId + "\"";
        assertProblem(http.postJson("/v1/jobs", valid.replace(trainId, "no-such") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"vae\"", "\"gan\"") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"train\"", "\"paint\"") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"epochs\": 0}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"learningRate\": -1}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"batchSize\": 1000}"), 422, "invalid-job");
        Response noImages = http.postJson("/v1/jobs", valid + ", \"trainImages\": 0}");
        assertProblem(noImages, 400, "bad-request");
        assertThat(noImages.json().get("detail").asString()).startsWith("trainImages ");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"trainImages\": 16, \"batchSize\": 32}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"architecture\": {\"channels\": [4, 4, 4, 4, 4]}}"), 422,
                "invalid-architecture");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"m\"", "\"../m\"") + "}"), 400, "invalid-name");
        // MODEL is a VAE: a VQ-VAE under its name would make a bare name change what it serves.
        Response otherFamily = http.postJson("/v1/jobs", valid.replace("\"m\"", "\"" + MODEL + "\"").replace("\"vae\"",
                "\"vqvae\"") + "}");
        assertProblem(otherFamily, 422, "invalid-job");
        assertThat(otherFamily.json().get("detail").asString()).contains("is a vae", "another name");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"train\""), 400, "bad-request");
        assertThat(http.get("/v1/jobs").json()).hasSize(before);
        assertProblem(http.get("/v1/jobs/job-nope"), 404, "job-not-found");
    }

    @Test
    void aQuickRunTrainsAndJudgesOnTheFirstImagesAndSaysHowMany() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "quick", "family": "vae", "dataset": "%s", "testDataset": "blobs-test",
                 "trainImages": 64, "testImages": 16, "epochs": 1, "batchSize": 32,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        JsonNode request = submitted.json().get("request");
        assertThat(request.get("trainImages").asInt()).isEqualTo(64);
        assertThat(request.get("testImages").asInt()).isEqualTo(16);

        JsonNode job = waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(120));
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("progress").get("stepsPerEpoch").asInt()).as("64 of the 512 images, 32 a step").isEqualTo(2);
        JsonNode training = http.get("/v1/models/quick/versions/" + job.get("resultVersion").asInt()).json().get("training");
        assertThat(training.get("trainImages").asInt()).isEqualTo(64);
        assertThat(training.get("testImages").asInt()).isEqualTo(16);
    }

    @Test
    void runningJobIsCancelledWithinSeconds() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "long", "family": "vae", "dataset": "%s", "epochs": 1000, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId));
        String location = submitted.headers().firstValue("Location").orElseThrow();
        waitFor(location, "RUNNING", Duration.ofSeconds(120));
        Response cancel = http.delete(location);
        assertThat(cancel.status()).isEqualTo(202);
        long cancelledAt = System.nanoTime();
        JsonNode job = waitForTerminal(location, Duration.ofSeconds(10));
        assertThat(job.get("state").asString()).isEqualTo("CANCELLED");
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(5));
        assertProblem(http.delete(location), 409, "conflict");
        assertProblem(http.postJson("/v1/models/long/sample", "{}"), 404, "model-not-found");
    }

    @Test
    void aJobWhoseDatasetVanishedFailsOnceWithTheReason() throws InterruptedException {
        Response small = http.postBytes("/v1/datasets?name=vanishing", "application/octet-stream",
                TestFiles.idx(SyntheticImages.blobs(SHAPE, 64, 8)));
        String vanishing = small.json().get("id").asString();
        String blocker = http.postJson("/v1/jobs", """
                {"type": "train", "model": "blocker", "family": "vae", "dataset": "%s", "epochs": 1000, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId))
                .headers().firstValue("Location").orElseThrow();
        waitFor(blocker, "RUNNING", Duration.ofSeconds(120));
        String doomed = http.postJson("/v1/jobs", """
                {"type": "train", "model": "doomed", "family": "vae", "dataset": "%s", "epochs": 1, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(vanishing))
                .headers().firstValue("Location").orElseThrow();
        assertThat(http.delete("/v1/datasets/" + vanishing).status()).isEqualTo(204);
        assertThat(http.delete(blocker).status()).isEqualTo(202);
        JsonNode job = waitForTerminal(doomed, Duration.ofSeconds(120));
        assertThat(job.get("state").asString()).isEqualTo("FAILED");
        assertThat(job.get("attempts").asInt()).isEqualTo(1);
        assertThat(job.get("error").asString()).contains("no dataset with id '" + vanishing + "'");
    }

    @Test
    void jobEventsStreamUntilTheJobEnds() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "streamed", "family": "vae", "dataset": "%s", "epochs": 2, "batchSize": 64,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId));
        String location = submitted.headers().firstValue("Location").orElseThrow();
        Response stream = http.get(location + "/events", "text/event-stream");
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        String events = stream.text();
        assertThat(events).contains("event:state", "event:epoch", "\"SUCCEEDED\"");
        assertThat(events.indexOf("\"SUCCEEDED\"")).isGreaterThan(events.lastIndexOf("event:epoch"));
        assertThat(events.split("event:epoch", -1)).hasSize(3);
        Response missing = http.get("/v1/jobs/job-nope/events", "text/event-stream");
        assertThat(missing.status()).isEqualTo(404);
    }

    private void waitFor(String location, String state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!http.get(location).json().get("state").asString().equals(state) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(http.get(location).json().get("state").asString()).isEqualTo(state);
    }
}
