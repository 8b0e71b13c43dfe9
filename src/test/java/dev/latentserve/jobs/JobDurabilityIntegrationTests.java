package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.PostgresAvailable;
import dev.latentserve.testing.PostgresSupport;
import dev.latentserve.testing.ServiceProcess;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Real processes of the packaged service: a worker killed with SIGKILL mid-epoch whose job resumes from
 * its checkpoint after a restart, one stopped with SIGTERM that answers its queued requests and checkpoints
 * its job on the way out, and two replicas on one PostgreSQL that run each job exactly once.
 */
class JobDurabilityIntegrationTests {

    /** Fast failure detection so the tests take seconds, not minutes. */
    private static final List<String> FAST_ENGINE = List.of("--latentserve.jobs.heartbeat-interval=1s",
            "--latentserve.jobs.missed-heartbeats=8", "--latentserve.jobs.polling-interval=500ms",
            "--latentserve.jobs.progress-flush-interval=200ms", "--logging.level.com.github.kagkarlsson=INFO");

    @Test
    void aJobKilledMidEpochResumesFromItsCheckpointAndSucceeds(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path data) throws Exception {
        List<String> args = new ArrayList<>(FAST_ENGINE);
        args.add("--latentserve.jobs.checkpoint-every-steps=10");
        String location;
        long killedAtStep;
        try (ServiceProcess first = ServiceProcess.start(data, "first", args)) {
            Http http = first.http();
            // The packaged jar installs and serves the shipped model.
            Response shipped = http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 4}", "image/png");
            assertThat(shipped.status()).as(shipped.text()).isEqualTo(200);
            String dataset = upload(http, 4096, 28);
            Response submitted = http.postJson("/v1/jobs", """
                    {"type": "train", "model": "durable", "family": "vae", "dataset": "%s", "epochs": 2, "batchSize": 32,
                     "seed": 3}""".formatted(dataset));
            assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
            location = submitted.headers().firstValue("Location").orElseThrow();
            JsonNode job = waitFor(http, location, j -> j.get("progress").get("epoch").asInt() == 1
                    && j.get("progress").get("step").asLong() >= 35, Duration.ofSeconds(120));
            killedAtStep = job.get("progress").get("step").asLong();
            assertThat(job.get("state").asString()).isEqualTo("RUNNING");
            assertThat(job.get("progress").get("stepsPerEpoch").asLong()).isEqualTo(128);
            first.kill();
        }
        assertThat(checkpointSteps(data)).as("a checkpoint survives the kill").isNotEmpty();

        try (ServiceProcess second = ServiceProcess.start(data, "second", args)) {
            Http http = second.http();
            JsonNode done = waitFor(http, location, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.get("state").asString()),
                    Duration.ofSeconds(180));
            assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
            assertThat(done.get("attempts").asInt()).isEqualTo(2);
            JsonNode progress = done.get("progress");
            assertThat(progress.get("resumedFromEpoch").asInt()).isEqualTo(1);
            assertThat(progress.get("resumedFromStep").asLong()).isBetween(30L, killedAtStep);
            assertThat(progress.get("history")).hasSize(2);
            assertThat(progress.get("history").get(1).get("testLoss").asDouble())
                    .isLessThan(progress.get("history").get(0).get("testLoss").asDouble());
            assertThat(second.log()).contains("resumes from its checkpoint at epoch 1");
            assertThat(http.postJson("/v1/models/durable/sample", "{\"count\": 2}").status()).isEqualTo(200);
            assertThat(checkpointSteps(data)).as("checkpoints are removed once the job is done").isEmpty();
        }
    }

    @Test
    void sigtermAnswersQueuedRequestsAndCheckpointsTheRunningJob(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path data)
            throws Exception {
        List<String> args = new ArrayList<>(FAST_ENGINE);
        // No periodic checkpoint within the first epoch: a resume past step 0 can only come from the shutdown checkpoint.
        args.add("--latentserve.jobs.checkpoint-every-steps=1000000");
        // Requests wait up to 2 s for company, so some are still queued when SIGTERM arrives.
        args.add("--latentserve.serving.models.fashion-vae.max-batch-delay=2s");
        String location;
        long stoppedAfterStep;
        try (ServiceProcess first = ServiceProcess.start(data, "first", args);
                var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            Http http = first.http();
            String dataset = upload(http, 4096, 28);
            Response submitted = http.postJson("/v1/jobs", """
                    {"type": "train", "model": "stopped", "family": "vae", "dataset": "%s", "epochs": 1, "batchSize": 32,
                     "seed": 3}""".formatted(dataset));
            location = submitted.headers().firstValue("Location").orElseThrow();
            waitFor(http, location, j -> j.get("progress").get("step").asLong() >= 20, Duration.ofSeconds(120));
            List<java.util.concurrent.Future<Response>> queued = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                queued.add(clients.submit(() -> http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 2}")));
            }
            Thread.sleep(500);
            first.terminate(Duration.ofSeconds(60));
            for (var response : queued) {
                assertThat(response.get().status()).as(response.get().text()).isEqualTo(200);
            }
            // A graceful stop is normal operation: one INFO line, no WARN with a stack trace from the job engine.
            assertThat(first.log()).contains("stopped by a shutdown; it resumes from its checkpoint")
                    .doesNotContain("IllegalStateException: job");
            stoppedAfterStep = checkpointSteps(data).stream().mapToLong(n -> Long.parseLong(n.substring("step-".length()))).max().orElse(0);
        }
        assertThat(stoppedAfterStep).as("a checkpoint of the last finished step").isGreaterThanOrEqualTo(20);

        try (ServiceProcess second = ServiceProcess.start(data, "second", args)) {
            JsonNode done = waitFor(second.http(), location,
                    j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.get("state").asString()), Duration.ofSeconds(180));
            assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
            assertThat(done.get("progress").get("resumedFromStep").asLong()).isEqualTo(stoppedAfterStep);
        }
    }

    @Test
    @ExtendWith(PostgresAvailable.class)
    void twoReplicasOnOneDatabaseRunEachJobExactlyOnce(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path data) throws Exception {
        PostgresSupport.Database database = PostgresSupport.freshSchema();
        List<String> args = new ArrayList<>(FAST_ENGINE);
        args.addAll(List.of("--spring.datasource.url=" + database.schemaUrl(), "--spring.datasource.username=" + database.username(),
                "--spring.datasource.password=" + database.password(), "--spring.flyway.schemas=" + database.schema()));
        try (ServiceProcess a = ServiceProcess.start(data, "replica-a", args);
                ServiceProcess b = ServiceProcess.start(data, "replica-b", args)) {
            String dataset = upload(a.http(), 256, 16);
            List<String> locations = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ServiceProcess via = i % 2 == 0 ? a : b;
                Response submitted = via.http().postJson("/v1/jobs", """
                        {"type": "train", "model": "replicated", "family": "vae", "dataset": "%s", "epochs": 2, "batchSize": 32,
                         "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(dataset));
                assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
                locations.add(submitted.headers().firstValue("Location").orElseThrow());
            }
            Set<String> workers = new HashSet<>();
            for (String location : locations) {
                JsonNode job = waitFor(b.http(), location, j -> j.get("state").asString().equals("SUCCEEDED")
                        || j.get("state").asString().equals("FAILED"), Duration.ofSeconds(180));
                assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
                assertThat(job.get("attempts").asInt()).as("job %s ran once; logs in %s", job.get("id"), data).isEqualTo(1);
                workers.add(job.get("worker").asString());
            }
            assertThat(b.http().get("/v1/models/fashion-vae").json().get("versions")).as("installed once by two replicas").hasSize(1);
            JsonNode versions = a.http().get("/v1/models/replicated").json().get("versions");
            assertThat(versions).as("one version per job, none lost or doubled").hasSize(6);
            assertThat(workers).as("jobs ran on the replicas' workers").isNotEmpty()
                    .allSatisfy(w -> assertThat(w).matches(".*-(" + a.pid() + "|" + b.pid() + ")"));
        }
    }

    private static String upload(Http http, int count, int side) {
        byte[] idx = TestFiles.idx(SyntheticImages.blobs(new ImageShape(1, side, side), count, 5));
        Response response = http.postBytes("/v1/datasets?name=durable", "application/octet-stream", idx);
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().get("id").asString();
    }

    private static JsonNode waitFor(Http http, String location, java.util.function.Predicate<JsonNode> done, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = http.get(location).json();
        while (!done.test(job)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting; last state " + job);
            }
            Thread.sleep(100);
            job = http.get(location).json();
        }
        return job;
    }

    private static List<String> checkpointSteps(Path data) throws Exception {
        Path root = data.resolve("checkpoints");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (var files = Files.walk(root)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).toList();
        }
    }
}
