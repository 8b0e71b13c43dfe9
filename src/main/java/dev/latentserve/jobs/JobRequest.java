package dev.latentserve.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** {@code POST /v1/jobs}: what to train, on which data, with which settings. */
@Schema(example = """
        {"type": "train", "model": "my-vae", "family": "vae", "dataset": "fashion-mnist-train",
         "testDataset": "fashion-mnist-test", "epochs": 10, "batchSize": 128, "learningRate": 0.001, "seed": 0,
         "architecture": {"channels": [32, 64], "hiddenDim": 256, "latentDim": 16, "likelihood": "bernoulli"}}""")
public record JobRequest(
        @Schema(description = "'train' trains a new model version; 'fit-prior' fits autoregressive priors to the codes of "
                + "a VQ-VAE or VQ-VAE-2 version and publishes them as a new version; 'fit-codebook' refits a VQ-VAE codebook; "
                + "'sample' draws many samples from a version with a prior, as a PNG grid and codes at /v1/jobs/{id}/result",
                example = "train", allowableValues = {TrainJobKind.NAME, PriorFitJobKind.NAME, CodebookFitJobKind.NAME,
                        SampleJobKind.NAME}) @NotBlank String type,
        @Schema(description = "train: the name of the new version's model; otherwise the version to start from, name or "
                + "name@version", example = "my-vae") @NotBlank String model,
        @Schema(description = "Model family (train only)", example = "vae", allowableValues = {"vae", "vqvae", "vqvae2"})
        @Nullable String family,
        @Schema(description = "Training dataset id (every type but sample)", example = "fashion-mnist-train") @Nullable String dataset,
        @Schema(description = "Held-out dataset id for the test loss; defaults to the training dataset")
        @Nullable String testDataset,
        @Schema(description = "Use only the first N images of the training set (a quick run); default all. The stored "
                + "request shows how many are used", example = "5000") @Min(1) @Max(10_000_000) @Nullable Integer trainImages,
        @Schema(description = "Judge on only the first N images of the test set; default all. The stored request shows "
                + "how many are used", example = "1000") @Min(1) @Max(10_000_000) @Nullable Integer testImages,
        @Schema(description = "Passes over the training set", example = "10",
                defaultValue = "" + TrainingSettings.DEFAULT_EPOCHS) @Min(1) @Max(10_000) @Nullable Integer epochs,
        @Schema(description = "Images per optimiser step", example = "128",
                defaultValue = "" + TrainingSettings.DEFAULT_BATCH) @Min(1) @Max(4096) @Nullable Integer batchSize,
        @Schema(description = "Adam learning rate", example = "0.001",
                defaultValue = "" + TrainingSettings.DEFAULT_LEARNING_RATE) @Positive @DecimalMax("1.0") @Nullable Double learningRate,
        @Schema(description = "Seed for initialisation, shuffling and noise; default 0 (sample: random, and the job "
                + "shows which)", example = "0") @Nullable Long seed,
        @Schema(description = "train: the family's hyperparameters; fit-prior: the prior's (VQ-VAE: type gated-pixelcnn, "
                + "channels, layers, kernel, hidden; VQ-VAE-2: levels [top, bottom] and settings per level under top and "
                + "bottom); omitted fields take defaults")
        @Nullable Map<String, Object> architecture,
        @Schema(description = "sample only: how many and how; the seed is the request's seed") @Valid @Nullable SampleSpec sample) {

    /** What a sample job draws. */
    @Schema(example = "{\"count\": 1000, \"temperature\": 1.0, \"temperatures\": {\"top\": 0.8}}")
    public record SampleSpec(
            @Schema(description = "How many samples", example = "1000", defaultValue = "" + SampleJobKind.DEFAULT_COUNT) @Min(1)
            @Nullable Integer count,
            @Schema(description = "Softmax temperature of the prior", example = "1.0", defaultValue = "1.0") @Positive @Nullable Double temperature,
            @Schema(description = "Sample only among the k most likely codes") @Min(1) @Nullable Integer topK,
            @Schema(description = "VQ-VAE-2: a temperature per level (top, bottom), overriding temperature")
            @Nullable Map<String, Double> temperatures,
            @Schema(description = "Every this many rows of codes, the job's events carry a preview of the chunk being drawn "
                    + "(a PNG grid, codes not drawn yet set to the most likely one); 0: none", example = "2", defaultValue = "0")
            // Left out of the stored form when absent, which stays what it was before previews.
            @JsonInclude(JsonInclude.Include.NON_NULL) @Min(0) @Max(1024) @Nullable Integer previewEvery) {

        /** Without previews, as before they existed. */
        public SampleSpec(@Nullable Integer count, @Nullable Double temperature, @Nullable Integer topK,
                @Nullable Map<String, Double> temperatures) {
            this(count, temperature, topK, temperatures, null);
        }
    }

    /**
     * A train job's request: a new model {@code model} of {@code family}, trained on all of {@code dataset} and judged on
     * all of {@code testDataset}.
     *
     * @param architecture the family's hyperparameters; those left out take defaults
     */
    public static JobRequest train(String model, String family, String dataset, String testDataset, int epochs, int batchSize,
            double learningRate, long seed, Map<String, Object> architecture) {
        return new JobRequest(TrainJobKind.NAME, model, family, dataset, testDataset, null, null, epochs, batchSize, learningRate,
                seed, architecture, null);
    }

    /**
     * A fit-prior job's request: priors of {@code architecture} fitted to the codes of version {@code reference}, on all of
     * {@code dataset} and judged on all of {@code testDataset}.
     */
    public static JobRequest fitPrior(String reference, String dataset, String testDataset, int epochs, int batchSize,
            double learningRate, long seed, Map<String, Object> architecture) {
        return new JobRequest(PriorFitJobKind.NAME, reference, null, dataset, testDataset, null, null, epochs, batchSize,
                learningRate, seed, architecture, null);
    }

    /** A sample job's request: {@code spec.count()} samples from the version {@code reference}, drawn with {@code seed}. */
    public static JobRequest sample(String reference, long seed, SampleSpec spec) {
        return new JobRequest(SampleJobKind.NAME, reference, null, null, null, null, null, null, null, null, seed, null, spec);
    }
}
