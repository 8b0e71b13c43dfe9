package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The typed requests the kinds read give back the wire form jobs always stored and echoed, field for field, and the
 * factories callers use send what the positional constructor sent.
 */
class JobRequestFormsTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aStoredSampleRequestKeepsItsWireForm() {
        JobRequest.SampleSpec spec = new JobRequest.SampleSpec(70, 1.0, null, Map.of("top", 0.8));
        JobRequest stored = new SampleJobRequest("codes@2", "vqvae2", 5, spec).toJobRequest();

        assertThat(JSON.readTree(JSON.writeValueAsString(stored))).isEqualTo(JSON.readTree("""
                {"type": "sample", "model": "codes@2", "family": "vqvae2", "dataset": null, "testDataset": null,
                 "trainImages": null, "testImages": null, "epochs": 1,
                 "batchSize": null, "learningRate": null, "seed": 5, "architecture": {},
                 "sample": {"count": 70, "temperature": 1.0, "topK": null, "temperatures": {"top": 0.8}}}"""));
        assertThat(SampleJobRequest.from(stored).toJobRequest()).isEqualTo(stored);
    }

    @Test
    void aTrainRequestTakesItsDefaultsAndRoundTrips() {
        JobRequest sent = new JobRequest("train", "m", "vae", "ds-1", null, 500, 100, null, null, null, null, null, null);
        JobRequest stored = new TrainRequest("m", "vae", TrainingSettings.of(sent), Map.of("latentDim", 4)).toJobRequest();

        JsonNode json = JSON.readTree(JSON.writeValueAsString(stored));
        assertThat(json).isEqualTo(JSON.readTree("""
                {"type": "train", "model": "m", "family": "vae", "dataset": "ds-1", "testDataset": "ds-1", "trainImages": 500,
                 "testImages": 100, "epochs": 10, "batchSize": 128, "learningRate": 0.001, "seed": 0, "architecture": {"latentDim": 4}, "sample": null}"""));
        assertThat(TrainRequest.from(stored).toJobRequest()).isEqualTo(stored);
    }

    @Test
    void aFitRequestKeepsItsTypeAndOptions() {
        JobRequest stored = new FitRequest("fit-codebook", "codes@1", "vqvae",
                new TrainingSettings("ds-1", "ds-2", 2000, 300, 10, 32, 0.001, 3), Map.of("iterations", 20)).toJobRequest();

        assertThat(stored).isEqualTo(new JobRequest("fit-codebook", "codes@1", "vqvae", "ds-1", "ds-2", 2000, 300, 10, 32, 0.001,
                3L, Map.of("iterations", 20), null));
        assertThat(FitRequest.from(stored).toJobRequest()).isEqualTo(stored);
    }

    @Test
    void theFactoriesSendWhatThePositionalConstructorSent() {
        JobRequest.SampleSpec spec = new JobRequest.SampleSpec(100, 0.9, 5, Map.of());

        assertThat(JobRequest.sample("codes@2", 7, spec))
                .isEqualTo(new JobRequest("sample", "codes@2", null, null, null, null, null, null, null, null, 7L, null, spec));
        assertThat(JobRequest.train("m", "vae", "a", "b", 3, 64, 0.002, 1, Map.of()))
                .isEqualTo(new JobRequest("train", "m", "vae", "a", "b", null, null, 3, 64, 0.002, 1L, Map.of(), null));
    }

    @Test
    void aRequestStoredBeforeImageCountsExistedUsesAllImages() {
        JobRequest stored = JSON.readValue("""
                {"type": "train", "model": "m", "family": "vae", "dataset": "ds-1", "testDataset": "ds-2", "epochs": 10,
                 "batchSize": 128, "learningRate": 0.001, "seed": 0, "architecture": {"latentDim": 4}, "sample": null}""",
                JobRequest.class);

        TrainingSettings settings = TrainRequest.from(stored).settings();

        assertThat(settings.trainImages()).as("all").isNull();
        assertThat(settings.testImages()).as("all").isNull();
        assertThat(TrainRequest.from(stored).toJobRequest()).isEqualTo(stored);
    }
}
