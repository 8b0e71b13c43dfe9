package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Our transposed convolution against PyTorch's nn.ConvTranspose2d (fixture from make_conv_transpose_fixture.py). */
class ConvTranspose2dTests {

    static List<JsonNode> cases() throws Exception {
        try (InputStream in = ConvTranspose2dTests.class.getResourceAsStream("/fixtures/conv_transpose2d.json")) {
            JsonNode root = JsonMapper.builder().build().readTree(in);
            return root.get("cases").valueStream().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesPyTorchOutputAndGradients(JsonNode c) {
        ConvTranspose2d block = new ConvTranspose2d(c.get("in").asInt(), c.get("out").asInt(), c.get("kernel").asInt(),
                c.get("stride").asInt(), c.get("padding").asInt(), c.get("outputPadding").asInt());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(floats(c.get("x")),
                    new Shape(c.get("n").asInt(), c.get("in").asInt(), c.get("h").asInt(), c.get("w").asInt()));
            int k = c.get("kernel").asInt();
            NDArray w = manager.create(floats(c.get("weight")), new Shape(c.get("in").asInt(), c.get("out").asInt(), k, k));
            NDArray b = manager.create(floats(c.get("bias")));
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                y = block.apply(x, w, b);
                NDArray upstream = manager.create(floats(c.get("upstream")), y.getShape());
                collector.backward(y.mul(upstream).sum());
            }
            long[] expectedShape = c.get("outShape").valueStream().mapToLong(JsonNode::asLong).toArray();
            assertThat(y.getShape().getShape()).containsExactly(expectedShape);
            assertThat(block.outputSize(c.get("h").asInt())).isEqualTo(expectedShape[2]);
            assertClose(y.toFloatArray(), floats(c.get("y")));
            assertClose(x.getGradient().toFloatArray(), floats(c.get("gradX")));
            assertClose(w.getGradient().toFloatArray(), floats(c.get("gradWeight")));
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-4f + 1e-4f * Math.abs(expected[i])));
        }
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }
}
