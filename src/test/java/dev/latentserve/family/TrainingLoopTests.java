package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.nn.Block;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.testing.RecordingMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class TrainingLoopTests {

    private static final ImageShape SHAPE = new ImageShape(1, 1, 1);

    /** Ten one-pixel images whose value is their index / 10, so a batch says which images it holds. */
    private static final ImageData DATA = ImageData.ofFloats(SHAPE, new float[] {0f, .1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f});

    @Test
    void aNonFiniteLossFailsTheRunBeforeTheOptimiserStep() {
        List<Integer> optimiserSteps = new ArrayList<>();
        Steps steps = new Steps() {
            @Override
            public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
                double loss = context.step() == 2 ? Double.NaN : 1.0;
                context.checkFinite(loss, 0.1);
                optimiserSteps.add((int) context.step());
                return Map.of("loss", loss * n);
            }
        };
        assertThatThrownBy(() -> TrainingLoop.run(spec(3), DATA, DATA, RecordingMonitor.into(new ArrayList<>()),
                Checkpoints.none(), steps))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("NaN at epoch 1, step 3")
                .hasMessageContaining("lower the learning rate");
        assertThat(optimiserSteps).containsExactly(0, 1);
    }

    @Test
    void everyImageIsSeenOncePerEpochInAnOrderFixedBySeedAndEpoch() throws Exception {
        List<List<Float>> first = visits(7);
        List<List<Float>> again = visits(7);
        assertThat(first).isEqualTo(again);
        assertThat(first.get(0)).containsExactlyInAnyOrder(0f, .1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f);
        assertThat(first.get(1)).containsExactlyInAnyOrderElementsOf(first.get(0)).isNotEqualTo(first.get(0));
        assertThat(visits(8).get(0)).isNotEqualTo(first.get(0));
    }

    private static List<List<Float>> visits(long seed) throws Exception {
        List<List<Float>> epochs = new ArrayList<>();
        Steps steps = new Steps() {
            @Override
            public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
                if (context.step() == 0) {
                    epochs.add(new ArrayList<>());
                }
                for (float pixel : pixels) {
                    epochs.getLast().add(pixel);
                }
                return Map.of("loss", 0.0);
            }
        };
        List<EpochMetrics> history = TrainingLoop.run(new TrainingSpec(SHAPE, Map.of(), 2, 4, 0.1, seed, Device.cpu()), DATA, DATA,
                RecordingMonitor.into(new ArrayList<>()), Checkpoints.none(), steps);
        assertThat(history).hasSize(2);
        return epochs;
    }

    @Test
    void stepsAndEpochsCarryTheNameOfThePhaseTheLoopRuns() throws Exception {
        List<String> stepPhases = new ArrayList<>();
        List<EpochMetrics> epochs = new ArrayList<>();
        TrainingMonitor monitor = new TrainingMonitor() {
            @Override
            public void onStep(StepProgress progress) {
                stepPhases.add(progress.phase());
            }

            @Override
            public void onEpoch(EpochMetrics metrics) {
                epochs.add(metrics);
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
        Steps steps = new Steps() {
            @Override
            public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
                return Map.of("loss", 1.0 * n);
            }
        };
        TrainingLoop.run("bottom", spec(5), DATA, DATA, monitor, Checkpoints.none(), steps);
        TrainingLoop.run(spec(5), DATA, DATA, monitor, Checkpoints.none(), steps);
        assertThat(stepPhases).containsExactly("bottom", "bottom", "train", "train");
        assertThat(epochs).extracting(EpochMetrics::phase).containsExactly("bottom", "train");
        assertThat(epochs).extracting(EpochMetrics::epoch).containsExactly(1, 1);
    }

    @Test
    void historiesWrittenBeforeRunsHadPhasesStillRead() {
        JsonMapper json = JsonMapper.builder().build();
        EpochMetrics old = json.readValue("""
                {"epoch": 2, "trainLoss": 1.5, "testLoss": 1.25, "trainTerms": {"nll": 1.5}, "testTerms": {"nll": 1.25},
                 "imagesPerSecond": 100.0}""", EpochMetrics.class);
        assertThat(old).isEqualTo(new EpochMetrics(2, 1.5, 1.25, Map.of("nll", 1.5), Map.of("nll", 1.25), 100.0));
        assertThat(old.phase()).isNull();
        assertThat(json.writeValueAsString(old)).doesNotContain("phase");
        EpochMetrics top = new EpochMetrics("top", 1, 3.0, 2.5, Map.of("topNll", 3.0), Map.of("topNll", 2.5), 50.0);
        assertThat(json.writeValueAsString(top)).startsWith("{\"phase\":\"top\",\"epoch\":1,");
        assertThat(json.readValue(json.writeValueAsString(top), EpochMetrics.class)).isEqualTo(top);
    }

    @Test
    void aRunStoppedByShutdownCheckpointsItsLastStepAndACancelledOneDoesNot() throws Exception {
        assertThat(checkpointsWhenStoppedAfter(6, true)).containsExactly(4L, 6L);
        assertThat(checkpointsWhenStoppedAfter(6, false)).containsExactly(4L);
        assertThat(checkpointsWhenStoppedAfter(8, true)).as("step 8 was just saved").containsExactly(4L, 8L);
    }

    /** Ten steps of one image, a checkpoint every 4; the monitor stops the run after {@code stopAfter} steps. */
    private static List<Long> checkpointsWhenStoppedAfter(int stopAfter, boolean shutdown) {
        List<Long> saved = new ArrayList<>();
        Checkpoints recording = new Checkpoints() {
            @Override
            public java.util.Optional<java.nio.file.Path> latest() {
                return java.util.Optional.empty();
            }

            @Override
            public void save(long globalStep, Writer writer) {
                saved.add(globalStep);
            }

            @Override
            public long everySteps() {
                return 4;
            }
        };
        int[] done = {0};
        TrainingMonitor monitor = new TrainingMonitor() {
            @Override
            public void onStep(StepProgress progress) {
                done[0]++;
            }

            @Override
            public void onEpoch(EpochMetrics metrics) {
            }

            @Override
            public boolean isCancelled() {
                return done[0] >= stopAfter;
            }

            @Override
            public boolean isStopping() {
                return shutdown;
            }
        };
        Steps steps = new Steps() {
            @Override
            public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
                return Map.of("loss", 1.0);
            }
        };
        assertThatThrownBy(() -> TrainingLoop.run(spec(1), DATA, DATA, monitor, recording, steps))
                .isInstanceOf(TrainingCancelledException.class);
        return saved;
    }

    private static TrainingSpec spec(int batchSize) {
        return new TrainingSpec(SHAPE, Map.of(), 1, batchSize, 0.1, 1, Device.cpu());
    }

    /** Steps without a model: the loop only needs the block and optimiser for checkpoints, which these runs do not write. */
    private abstract static class Steps implements TrainingLoop.Steps {

        @Override
        public Block block() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Adam optimizer() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, Double> evaluate(ImageData test, long seed) {
            return Map.of("loss", 0.0);
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.get("loss");
        }
    }
}
