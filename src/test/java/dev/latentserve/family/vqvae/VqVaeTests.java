package dev.latentserve.family.vqvae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.vq.CodebookLevel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.TorchDefaultInit;
import dev.latentserve.nn.VectorQuantizer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VqVaeTests {

    @Test
    void theNamedOutputsAreTheForwardPassesArraysInItsOrder() {
        ImageShape shape = new ImageShape(1, 8, 8);
        VqVaeArchitecture architecture = VqVaeArchitecture.from(Map.of("hiddenChannels", 8, "residualChannels", 4,
                "residualBlocks", 1, "codes", 5, "codeDim", 3), shape);
        try (NDManager manager = NDManager.newBaseManager()) {
            VqVae net = new VqVae(shape, architecture);
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 8, 8));
            TorchDefaultInit.apply(net, 1);
            NDArray images = manager.randomUniform(0, 1, new Shape(2, 1, 8, 8), DataType.FLOAT32);
            NDList forward = net.forward(new ParameterStore(manager, false), new NDList(images), false);
            assertThat(forward).hasSize(1 + VectorQuantizer.Output.SIZE);
            VqVae.Output output = VqVae.Output.of(forward);
            assertThat(output.reconstruction()).isSameAs(forward.get(0));
            assertThat(output.reconstruction().getShape()).isEqualTo(new Shape(2, 1, 8, 8));
            VectorQuantizer.Output codes = output.quantized();
            assertThat(output.levels()).containsExactly(codes);
            assertThat(codes.quantized()).isSameAs(forward.get(1));
            assertThat(codes.codes()).isSameAs(forward.get(2));
            assertThat(codes.commitment()).isSameAs(forward.get(3));
            assertThat(codes.codebookLoss()).isSameAs(forward.get(4));
            assertThat(codes.encoderOutput()).isSameAs(forward.get(5));
            assertThat(codes.oneHot()).isSameAs(forward.get(6));
            // Two downsamplings: a 2x2 grid of 3-vectors per image, 5 codes.
            assertThat(codes.codes().getShape()).isEqualTo(new Shape(2, 2, 2));
            assertThat(codes.encoderOutput().getShape()).isEqualTo(new Shape(8, 3));
            assertThat(codes.oneHot().getShape()).isEqualTo(new Shape(8, 5));
            assertThat(net.levels()).singleElement().satisfies(level -> {
                assertThat(level.name()).isEmpty();
                assertThat(level.quantizer()).isSameAs(net.quantizer());
                assertThat(level.cells()).isEqualTo(4);
                assertThat(level.term("perplexity")).isEqualTo("perplexity");
            });
            assertThat(CodebookLevel.term("top", "usedCodes")).isEqualTo("topUsedCodes");
            assertThat(net.encodeCodes(new ParameterStore(manager, false), images).singletonOrThrow().toLongArray())
                    .containsExactly(codes.codes().toLongArray());
        }
    }
}
