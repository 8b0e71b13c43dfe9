package dev.latentserve.family.vqvae2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.vq.CodebookLevel;
import dev.latentserve.family.vqvae2.PriorArchitectures.BottomPrior;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.TorchDefaultInit;
import dev.latentserve.nn.VectorQuantizer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hierarchy's shapes, the padding, and the bottom prior's causality and conditioning. */
class VqVae2Tests {

    private static final Map<String, Object> SMALL = Map.of("hiddenChannels", 8, "residualChannels", 4, "residualBlocks", 1,
            "topCodes", 6, "topCodeDim", 4, "bottomCodes", 10, "bottomCodeDim", 5);

    @Test
    void twentyEightPixelsArePaddedToThirtyTwoGivingEightAndFourCellGrids() {
        ImageShape shape = new ImageShape(1, 28, 28);
        VqVae2Architecture architecture = VqVae2Architecture.from(SMALL, shape);
        assertThat(architecture.padding(shape)).isEqualTo(new VqVae2Architecture.Padding(2, 2, 2, 2));
        assertThat(architecture.bottomGrid(shape)).containsExactly(8, 8);
        assertThat(architecture.topGrid(shape)).containsExactly(4, 4);
        try (NDManager manager = NDManager.newBaseManager()) {
            VqVae2 net = net(manager, shape, architecture, 3);
            NDArray images = manager.randomUniform(0, 1, new Shape(3, 1, 28, 28), DataType.FLOAT32);
            VqVae2.Output output = VqVae2.Output.of(net.forward(new ParameterStore(manager, false), new NDList(images), false));
            assertThat(output.reconstruction().getShape()).isEqualTo(new Shape(3, 1, 28, 28));
            assertThat(output.top().codes().getShape()).isEqualTo(new Shape(3, 4, 4));
            assertThat(output.bottom().codes().getShape()).isEqualTo(new Shape(3, 8, 8));
            assertThat(output.top().quantized().getShape()).isEqualTo(new Shape(3, 4, 4, 4));
            assertThat(output.bottom().quantized().getShape()).isEqualTo(new Shape(3, 5, 8, 8));
            NDList codes = net.encodeCodes(new ParameterStore(manager, false), images);
            assertThat(codes.get(0).toLongArray()).containsExactly(output.top().codes().toLongArray());
            assertThat(codes.get(1).toLongArray()).containsExactly(output.bottom().codes().toLongArray());
            NDArray decoded = net.decodeCodes(new ParameterStore(manager, false), codes.get(0), codes.get(1));
            assertThat(decoded.toFloatArray()).containsExactly(output.reconstruction().toFloatArray(), within(1e-5f));
        }
    }

    @Test
    void theNamedOutputsAreTheForwardPassesArraysLevelByLevel() {
        ImageShape shape = new ImageShape(1, 16, 16);
        VqVae2Architecture architecture = VqVae2Architecture.from(SMALL, shape);
        try (NDManager manager = NDManager.newBaseManager()) {
            VqVae2 net = net(manager, shape, architecture, 2);
            NDArray images = manager.randomUniform(0, 1, new Shape(2, 1, 16, 16), DataType.FLOAT32);
            NDList forward = net.forward(new ParameterStore(manager, false), new NDList(images), false);
            assertThat(forward).hasSize(1 + 2 * VectorQuantizer.Output.SIZE);
            VqVae2.Output output = VqVae2.Output.of(forward);
            assertThat(output.reconstruction()).isSameAs(forward.get(0));
            assertThat(output.levels()).containsExactly(output.top(), output.bottom());
            assertLevel(output.top(), forward, 1, 2 * 2 * 2, 4, 6);
            assertLevel(output.bottom(), forward, 7, 2 * 4 * 4, 5, 10);
            assertThat(net.levels()).extracting(CodebookLevel::name).containsExactly("top", "bottom");
            assertThat(net.levels()).extracting(CodebookLevel::quantizer).containsExactly(net.topQuantizer(), net.bottomQuantizer());
            assertThat(net.levels()).extracting(CodebookLevel::cells).containsExactly(4, 16);
        }
    }

    /** One level's named outputs: the six arrays from {@code from} on, of the shapes the quantiser gives them. */
    private static void assertLevel(VectorQuantizer.Output level, NDList forward, int from, long vectors, int dimension, int codes) {
        assertThat(level.quantized()).isSameAs(forward.get(from));
        assertThat(level.codes()).isSameAs(forward.get(from + 1));
        assertThat(level.commitment()).isSameAs(forward.get(from + 2));
        assertThat(level.codebookLoss()).isSameAs(forward.get(from + 3));
        assertThat(level.encoderOutput()).isSameAs(forward.get(from + 4));
        assertThat(level.oneHot()).isSameAs(forward.get(from + 5));
        assertThat(level.commitment().getShape().dimension()).isZero();
        assertThat(level.encoderOutput().getShape()).isEqualTo(new Shape(vectors, dimension));
        assertThat(level.oneHot().getShape()).isEqualTo(new Shape(vectors, codes));
        assertThat(level.codes().getDataType()).isEqualTo(DataType.INT64);
    }

    @Test
    void paddingIsCentredWithZerosAndCroppingUndoesIt() {
        ImageShape shape = new ImageShape(3, 13, 20);
        VqVae2Architecture architecture = VqVae2Architecture.from(SMALL, shape);
        assertThat(architecture.padding(shape)).isEqualTo(new VqVae2Architecture.Padding(1, 2, 2, 2));
        assertThat(architecture.bottomGrid(shape)).containsExactly(4, 6);
        assertThat(architecture.topGrid(shape)).containsExactly(2, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            VqVae2 net = net(manager, shape, architecture, 1);
            NDArray images = manager.randomUniform(0.5f, 1, new Shape(1, 3, 13, 20), DataType.FLOAT32);
            NDArray padded = net.pad(images);
            assertThat(padded.getShape()).isEqualTo(new Shape(1, 3, 16, 24));
            assertThat(padded.get("0, 2, 1, 2").getFloat()).isEqualTo(images.get("0, 2, 0, 0").getFloat());
            assertThat(padded.get("0, 1, 0, :").sum().getFloat()).isZero();
            assertThat(padded.get("0, 0, :, 23").sum().getFloat()).isZero();
            assertThat(padded.sum().getFloat()).isCloseTo(images.sum().getFloat(), within(1e-3f));
            assertThat(net.crop(padded).toFloatArray()).containsExactly(images.toFloatArray());
            VqVae2.Output output = VqVae2.Output.of(net.forward(new ParameterStore(manager, false), new NDList(images), false));
            assertThat(output.reconstruction().getShape()).isEqualTo(new Shape(1, 3, 13, 20));
        }
        ImageShape divisible = new ImageShape(1, 16, 8);
        assertThat(VqVae2Architecture.from(SMALL, divisible).padding(divisible).isNone()).isTrue();
    }

    @Test
    void theBottomPriorIsEstimatedAtAboutFourTimesTheTopOnTwentyEightPixelsByTheDefaults() {
        PriorArchitectures defaults = PriorArchitectures.fromRequest(Map.of());
        // Per position: 8 gated layers of 86,016 multiply-adds (+ 8,192 for the bottom's conditioning), embedding and
        // head 20,480; the top's two attention layers 18,816 each on 16 positions; the bottom's conditioning stack
        // 21,504 on each of its 16 top positions.
        assertThat(defaults.top().multiplyAddsPerMap(64, 4, 4)).isEqualTo(16L * (8 * 86_016 + 20_480 + 2 * 18_816));
        assertThat(defaults.bottom().multiplyAddsPerMap(64, 64, 8, 8)).isEqualTo(64L * (8 * 94_208 + 20_480) + 16L * 21_504);
        double ratio = (double) defaults.bottom().multiplyAddsPerMap(64, 64, 8, 8) / defaults.top().multiplyAddsPerMap(64, 4, 4);
        assertThat(ratio).isBetween(3.0, 4.5);
    }

    @Test
    void badArchitecturesAreRefusedWithTheReason() {
        ImageShape shape = new ImageShape(1, 28, 28);
        assertThatThrownBy(() -> VqVae2Architecture.from(Map.of("codes", 8), shape)).isInstanceOf(InvalidArchitectureException.class)
                .hasMessageContaining("unknown VQ-VAE-2 architecture field 'codes'");
        assertThatThrownBy(() -> VqVae2Architecture.from(Map.of("codebook", "kmeans"), shape))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("'ema' or 'loss'");
        assertThatThrownBy(() -> PriorArchitectures.fromRequest(Map.of("levels", List.of("middle"))))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("'top' and 'bottom'");
        // A null or repeated level is a request to fix (422), not a server error.
        assertThatThrownBy(() -> PriorArchitectures.fromRequest(Map.of("levels", java.util.Arrays.asList("top", null))))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("each once");
        assertThatThrownBy(() -> PriorArchitectures.fromRequest(Map.of("levels", List.of("top", "top"))))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("each once");
        assertThatThrownBy(() -> PriorArchitectures.fromRequest(Map.of("levels", List.of("top"), "bottom", Map.of())))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("leaves out");
        assertThatThrownBy(() -> PriorArchitectures.fromRequest(Map.of("top", Map.of("channels", 30, "heads", 4))))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("heads");
        PriorArchitectures topOnly = PriorArchitectures.fromRequest(Map.of("levels", List.of("top")));
        assertThat(topOnly.levels()).containsExactly("top");
        assertThat(topOnly.toRequestMap()).containsOnlyKeys("levels", "top");
    }

    @Test
    void bottomPriorIsCausalInTheBottomCodesAndSeesEveryTopCode() {
        int height = 4;
        int width = 4;
        int codes = 10;
        try (NDManager manager = NDManager.newBaseManager()) {
            ConditionalPixelCnn prior = new ConditionalPixelCnn(6, codes, new BottomPrior(8, 3, 3, 16, 6, 1, 0.0), height, width);
            prior.initialize(manager, DataType.FLOAT32, new Shape(1, height, width), new Shape(1, 2, 2));
            TorchDefaultInit.apply(prior, 4);
            SplittableRandom random = new SplittableRandom(8);
            long[] bottom = random.longs(height * width, 0, codes).toArray();
            long[] top = random.longs(4, 0, 6).toArray();
            float[] base = logits(prior, manager, bottom, top, height, width);
            for (int p = 0; p < height * width; p++) {
                long[] perturbed = bottom.clone();
                perturbed[p] = (perturbed[p] + 1) % codes;
                float[] after = logits(prior, manager, perturbed, top, height, width);
                for (int q = 0; q <= p; q++) {
                    for (int k = 0; k < codes; k++) {
                        int at = k * height * width + q;
                        assertThat(after[at]).as("logit %d at %d after changing bottom code %d", k, q, p)
                                .isCloseTo(base[at], within(1e-5f));
                    }
                }
            }
            // Every top code reaches the first bottom position, which has no bottom codes before it.
            for (int t = 0; t < 4; t++) {
                long[] otherTop = top.clone();
                otherTop[t] = (otherTop[t] + 1) % 6;
                float[] after = logits(prior, manager, bottom, otherTop, height, width);
                double change = 0;
                for (int k = 0; k < codes; k++) {
                    change += Math.abs(after[k * height * width] - base[k * height * width]);
                }
                assertThat(change).as("top code %d changes the first bottom position's logits", t).isGreaterThan(1e-5);
            }
            // Rows cut short (as while sampling) give the same logits for the rows kept.
            try (NDManager scope = manager.newSubManager()) {
                NDArray twoRows = scope.create(bottom, new Shape(1, height, width)).get(":, 0:2, :");
                float[] cut = prior.forward(new ParameterStore(scope, false), new NDList(twoRows,
                        scope.create(top, new Shape(1, 2, 2))), false).singletonOrThrow().toFloatArray();
                for (int k = 0; k < codes; k++) {
                    for (int q = 0; q < 2 * width; q++) {
                        assertThat(cut[k * 2 * width + q]).isCloseTo(base[k * height * width + q], within(1e-5f));
                    }
                }
            }
        }
    }

    private static float[] logits(ConditionalPixelCnn prior, NDManager manager, long[] bottom, long[] top, int height, int width) {
        try (NDManager scope = manager.newSubManager()) {
            return prior.forward(new ParameterStore(scope, false), new NDList(scope.create(bottom, new Shape(1, height, width)),
                    scope.create(top, new Shape(1, 2, 2))), false).singletonOrThrow().toFloatArray();
        }
    }

    private static VqVae2 net(NDManager manager, ImageShape shape, VqVae2Architecture architecture, int n) {
        VqVae2 net = new VqVae2(shape, architecture);
        net.initialize(manager, DataType.FLOAT32, new Shape(n, shape.channels(), shape.height(), shape.width()));
        TorchDefaultInit.apply(net, 1);
        return net;
    }
}
