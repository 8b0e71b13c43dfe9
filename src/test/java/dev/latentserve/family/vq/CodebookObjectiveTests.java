package dev.latentserve.family.vq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.nn.VectorQuantizer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodebookObjectiveTests {

    private static final CodebookObjective.Settings SETTINGS = new CodebookObjective.Settings(0.5, 0.5, 1e-5, 0.01);

    /** A forward pass's outputs with the given reconstruction and levels. */
    private record Forward(NDArray reconstruction, List<VectorQuantizer.Output> levels) implements QuantizedAutoencoder.Output {
    }

    @Test
    void theLossIsMsePlusBetaTimesTheCommitmentsPlusTheCodebookLossesOfLevelsWithoutEma() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // Pixels (0, 1) reconstructed as (0.5, 0.25): MSE = (0.25 + 0.5625) / 2.
            NDArray images = manager.create(new float[] {0f, 1f}, new Shape(1, 1, 1, 2));
            Forward forward = new Forward(manager.create(new float[] {0.5f, 0.25f}, new Shape(1, 1, 1, 2)),
                    List.of(level(manager, 0.2f, 0.3f), level(manager, 0.1f, 0.4f)));
            double mse = 0.40625;

            CodebookObjective.Loss oneEma = objective(true, "").loss(images, new Forward(forward.reconstruction(),
                    forward.levels().subList(0, 1)));
            assertThat(oneEma.mse().getFloat()).isCloseTo((float) mse, within(1e-7f));
            assertThat(oneEma.commitment().getFloat()).isCloseTo(0.2f, within(1e-7f));
            assertThat(oneEma.total().getFloat()).isCloseTo((float) (mse + 0.5 * 0.2), within(1e-6f));
            CodebookObjective.Loss oneLearnt = objective(false, "").loss(images, new Forward(forward.reconstruction(),
                    forward.levels().subList(0, 1)));
            assertThat(oneLearnt.total().getFloat()).isCloseTo((float) (mse + 0.5 * 0.2 + 0.3), within(1e-6f));

            CodebookObjective.Loss twoEma = objective(true, "top", "bottom").loss(images, forward);
            assertThat(twoEma.commitment().getFloat()).isCloseTo(0.3f, within(1e-6f));
            assertThat(twoEma.total().getFloat()).isCloseTo((float) (mse + 0.5 * (0.2 + 0.1)), within(1e-6f));
            CodebookObjective.Loss twoLearnt = objective(false, "top", "bottom").loss(images, forward);
            assertThat(twoLearnt.total().getFloat()).isCloseTo((float) (mse + 0.5 * (0.2 + 0.1) + 0.3 + 0.4), within(1e-6f));

            assertThat(objective(true, "").total(Map.of("mse", 0.4, "commitment", 0.2))).isCloseTo(0.5, within(1e-12));
            assertThat(objective(true, "").weighted(0.4, 0.2)).isCloseTo(0.5, within(1e-12));
        }
    }

    @Test
    void afterTheStepEachLevelUpdatesItsCodebookAndReportsItsStatisticsUnderItsName() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VectorQuantizer top = quantizer(manager);
            VectorQuantizer bottom = quantizer(manager);
            VectorQuantizer twin = quantizer(manager);
            CodebookObjective objective = new CodebookObjective(List.of(new CodebookLevel("top", top, 1, 2),
                    new CodebookLevel("bottom", bottom, 1, 2)), SETTINGS);
            // Two images, one position each: top uses codes 1 and 2, bottom code 0 twice.
            NDArray flat = manager.create(new float[] {0.9f, 0.2f, 0.2f, 0.7f}, new Shape(2, 2));
            VectorQuantizer.Output topLevel = assignments(manager, flat, new float[] {0, 1, 0, 0, 0, 1});
            VectorQuantizer.Output bottomLevel = assignments(manager, flat, new float[] {1, 0, 0, 1, 0, 0});
            Map<String, Double> terms = objective.afterStep(new Forward(manager.zeros(new Shape(2, 1, 1, 1)),
                    List.of(topLevel, bottomLevel)), 0.25, 0.125, 2, new SplittableRandom(9));

            // Each term summed over the two images: top perplexity 2 (two codes, equally often), bottom 1.
            assertThat(terms.keySet()).containsExactly("mse", "commitment", "topPerplexity", "topUsedCodes", "bottomPerplexity",
                    "bottomUsedCodes");
            double[] expected = {0.5, 0.25, 2 * 2.0, 2 * 2.0, 2 * 1.0, 2 * 1.0};
            assertThat(terms.values()).zipSatisfy(java.util.Arrays.stream(expected).boxed().toList(),
                    (actual, wanted) -> assertThat(actual).isCloseTo(wanted, within(1e-9)));
            // The top codebook took the quantiser's own EMA step and restarts, from the same draws.
            twin.update(flat, topLevel.oneHot(), 0.5f, 1e-5f, 0.01f, new SplittableRandom(9));
            assertThat(top.codebook().toFloatArray()).containsExactly(twin.codebook().toFloatArray());
            // Unused codes fall to count 0.5 (from 1) and survive a threshold of 0.01; at 0.6 they are restarted.
            assertThat(objective.epochStatistics()).containsExactly(Map.entry("deadCodeRestarts", 0.0));
            CodebookObjective strict = new CodebookObjective(List.of(new CodebookLevel("", quantizer(manager), 2, 1)),
                    new CodebookObjective.Settings(0.5, 0.5, 1e-5, 0.6));
            Map<String, Double> unnamed = strict.afterStep(new Forward(manager.zeros(new Shape(1, 1, 2, 1)), List.of(topLevel)), 0.25,
                    0.125, 1, new SplittableRandom(9));
            assertThat(unnamed).containsOnlyKeys("mse", "commitment", "perplexity", "usedCodes");
            assertThat(strict.epochStatistics()).containsExactly(Map.entry("deadCodeRestarts", 1.0));
            assertThat(strict.epochStatistics()).as("counted per epoch").containsExactly(Map.entry("deadCodeRestarts", 0.0));
        }
    }

    private static CodebookObjective objective(boolean ema, String... names) {
        List<CodebookLevel> levels = java.util.Arrays.stream(names).map(name -> new CodebookLevel(name, new VectorQuantizer(3, 2, ema),
                1, 1)).toList();
        return new CodebookObjective(levels, SETTINGS);
    }

    /** A level's outputs with only its two losses set. */
    private static VectorQuantizer.Output level(NDManager manager, float commitment, float codebookLoss) {
        NDArray none = manager.zeros(new Shape(1));
        return new VectorQuantizer.Output(none, none, manager.create(commitment), manager.create(codebookLoss), none, none);
    }

    /** A level's outputs for encoder outputs (M, 2) and their one-hot assignments (M, 3). */
    private static VectorQuantizer.Output assignments(NDManager manager, NDArray flat, float[] oneHot) {
        NDArray none = manager.zeros(new Shape(1));
        return new VectorQuantizer.Output(none, none, none, none, flat, manager.create(oneHot, new Shape(flat.getShape().get(0), 3)));
    }

    /** Codes (0,0), (1,0), (0,1) with counts of one. */
    private static VectorQuantizer quantizer(NDManager manager) {
        VectorQuantizer quantizer = new VectorQuantizer(3, 2, true);
        quantizer.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 1, 2));
        quantizer.setCodebook(new float[] {0, 0, 1, 0, 0, 1});
        return quantizer;
    }
}
