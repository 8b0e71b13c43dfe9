package dev.latentserve.jobs;

import io.swagger.v3.oas.annotations.media.Schema;
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
        @Schema(description = "'train' trains a new model version; 'fit-prior' fits an autoregressive prior to the codes of "
                + "a VQ-VAE version and publishes it as a new version", example = "train") @NotBlank String type,
        @Schema(description = "train: the name of the new version's model; fit-prior: the version to fit, name or name@version",
                example = "my-vae") @NotBlank String model,
        @Schema(description = "Model family (train only)", example = "vae") @Nullable String family,
        @Schema(description = "Training dataset id", example = "fashion-mnist-train") @NotBlank String dataset,
        @Schema(description = "Held-out dataset id for the test loss; defaults to the training dataset")
        @Nullable String testDataset,
        @Schema(description = "Passes over the training set", example = "10") @Min(1) @Max(10_000) @Nullable Integer epochs,
        @Schema(description = "Images per optimiser step", example = "128") @Min(1) @Max(4096) @Nullable Integer batchSize,
        @Schema(description = "Adam learning rate", example = "0.001") @Positive @DecimalMax("1.0") @Nullable Double learningRate,
        @Schema(description = "Seed for initialisation, shuffling and noise", example = "0") @Nullable Long seed,
        @Schema(description = "train: the family's hyperparameters; fit-prior: the prior's (type gated-pixelcnn, channels, "
                + "layers, kernel, hidden); omitted fields take defaults")
        @Nullable Map<String, Object> architecture) {

    static final int DEFAULT_EPOCHS = 10;
    static final int DEFAULT_BATCH = 128;
    static final double DEFAULT_LEARNING_RATE = 1e-3;

    /** The request with every default filled in, as stored and shown. */
    JobRequest complete(String resolvedModel, String resolvedFamily, Map<String, Object> fullArchitecture) {
        return new JobRequest(type, resolvedModel, resolvedFamily, dataset, testDataset == null ? dataset : testDataset,
                epochs == null ? DEFAULT_EPOCHS : epochs, batchSize == null ? DEFAULT_BATCH : batchSize,
                learningRate == null ? DEFAULT_LEARNING_RATE : learningRate, seed == null ? 0L : seed, fullArchitecture);
    }
}
