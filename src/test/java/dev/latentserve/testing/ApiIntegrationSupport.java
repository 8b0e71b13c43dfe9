package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The whole application on a random port with an H2 file database in a temporary data directory, and what the API
 * tests of every feature share in it: a generated dataset uploaded through the API and a small VAE, {@value #MODEL},
 * trained on it through the job API. Every subclass has the same configuration, so all of them run in one Spring
 * context (and the {@link PostgresDatabase} ones in one more), and the model is trained once per context, by whichever
 * class comes first. Between classes Spring's test context cache pauses the context (stops its lifecycle beans) and
 * starts it again for the next class that uses it (all but the job worker, which is not pauseable).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Import(ApiIntegrationSupport.Blobs.class)
public abstract class ApiIntegrationSupport {

    protected static final ImageShape SHAPE = new ImageShape(1, 16, 16);
    protected static final String MODEL = "blobs";

    @LocalServerPort
    protected int port;

    /** The context's data directory (datasets, models, the H2 database). */
    @Value("${latentserve.storage.root}")
    protected Path dataDir;

    @Autowired
    private Blobs blobs;

    protected Http http;
    /** The training dataset's id. */
    protected String trainId;
    /** Images like the training set's, which the model never saw. */
    protected ImageData testImages;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        // Called once per context, so each context gets a directory of its own.
        Path dataDir = Files.createTempDirectory("latentserve-it");
        registry.add("latentserve.storage.root", () -> dataDir.toString());
        registry.add("spring.servlet.multipart.max-file-size", () -> "3MB");
        registry.add("spring.servlet.multipart.max-request-size", () -> "3MB");
        registry.add("latentserve.datasets.fashion-mnist-dir", () -> dataDir.resolve("absent").toString());
    }

    @BeforeAll
    void useTheTrainedModel() throws InterruptedException {
        http = new Http(port);
        Blobs.Trained trained = blobs.trainOnce(http);
        trainId = trained.trainId();
        testImages = trained.testImages();
    }

    protected JsonNode waitForTerminal(String location, Duration timeout) throws InterruptedException {
        return http.waitForTerminal(location, timeout);
    }

    /** Submits a job and waits until it has SUCCEEDED (3 minutes at most). */
    protected void run(String jobRequest) throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", jobRequest);
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        JsonNode job = waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(180));
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    }

    /**
     * Trains a small VQ-VAE {@code model} on the training set (version 1) and fits its gated PixelCNN prior for one
     * epoch (version 2), through the job API.
     */
    protected void trainVqVaeWithPrior(String model, int epochs) throws InterruptedException {
        run("""
                {"type": "train", "model": "%s", "family": "vqvae", "dataset": "%s", "epochs": %d, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "codes": 16, "codeDim": 8}}""".formatted(model, trainId, epochs));
        run("""
                {"type": "fit-prior", "model": "%s@1", "dataset": "%s", "epochs": 1, "batchSize": 32, "learningRate": 0.003,
                 "architecture": {"channels": 16, "layers": 3, "hidden": 32}}""".formatted(model, trainId));
    }

    protected static void assertProblem(Response response, int status, String type) {
        Http.assertProblem(response, status, type);
    }

    /** The datasets and the model, made through the API on first use and kept as long as the application context. */
    static final class Blobs {

        record Trained(String trainId, ImageData testImages) {
        }

        private @Nullable Trained trained;

        synchronized Trained trainOnce(Http http) throws InterruptedException {
            if (trained == null) {
                trained = train(http);
            }
            return trained;
        }

        private static Trained train(Http http) throws InterruptedException {
            ImageData train = SyntheticImages.blobs(SHAPE, 512, 1);
            ImageData testImages = SyntheticImages.blobs(SHAPE, 64, 2);
            Response uploaded = http.postMultipart("/v1/datasets?name=blobs-train",
                    List.of(new Part("file", "train.idx.gz", "application/gzip", TestFiles.gzip(TestFiles.idx(train)))),
                    "application/json");
            assertThat(uploaded.status()).isEqualTo(201);
            assertThat(uploaded.headers().firstValue("Location")).isPresent();
            String trainId = uploaded.json().get("id").asString();
            assertThat(uploaded.json().get("count").asInt()).isEqualTo(512);
            Response test = http.postBytes("/v1/datasets?name=blobs-test", "application/octet-stream", TestFiles.idx(testImages));
            assertThat(test.status()).isEqualTo(201);

            Response submitted = http.postJson("/v1/jobs", """
                    {"type": "train", "model": "%s", "family": "vae", "dataset": "%s", "testDataset": "%s",
                     "epochs": 3, "batchSize": 32, "learningRate": 0.003, "seed": 5,
                     "architecture": {"channels": [8, 16], "hiddenDim": 64, "latentDim": 4}}"""
                    .formatted(MODEL, trainId, test.json().get("id").asString()));
            assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
            String location = submitted.headers().firstValue("Location").orElseThrow();
            JsonNode job = http.waitForTerminal(location, Duration.ofSeconds(180));
            assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("resultVersion").asInt()).isEqualTo(1);
            assertThat(job.get("progress").get("history")).hasSize(3);
            assertThat(job.get("progress").get("stepsPerEpoch").asInt()).isEqualTo(16);
            return new Trained(trainId, testImages);
        }
    }
}
