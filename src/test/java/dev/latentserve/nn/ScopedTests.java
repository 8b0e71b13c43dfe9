package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Forward passes leave nothing behind in the manager that owns the parameters: everything they create
 * belongs to the request's scope and is freed with it (a regression test for a leak of about 300 KB per request).
 */
class ScopedTests {

    /**
     * DJL's {@code x.div(4.0)} gives a gradient of garbage (0.157, infinity) here in every trial: its scalar's buffer
     * is collected before the backward pass reads it, and the freed memory is reused. A scalar from
     * {@link Scoped#scalar} lives as long as the scope.
     */
    @Test
    void scalarsSurviveUntilTheBackwardPassReadsThem() throws InterruptedException {
        for (int trial = 0; trial < 10; trial++) {
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray x = scope.create(new float[] {1f, 2f, 3f});
                x.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = x.div(Scoped.scalar(x, 4.0)).mul(Scoped.scalar(x, 2.0));
                    // Collect what can be collected, then hand its native memory to new buffers holding NaN.
                    System.gc();
                    Thread.sleep(10);
                    List<ByteBuffer> reuse = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        reuse.add(ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, Float.NaN));
                    }
                    collector.backward(y.sum());
                    assertThat(reuse).hasSize(20_000);
                }
                assertThat(x.getGradient().toFloatArray()).containsOnly(0.5f);
            }
        }
    }

    @Test
    void transposedConvolutionLeavesNothingInTheParameterManager() {
        assertNoGrowth(new ConvTranspose2d(4, 2, 4, 2, 1, 0), new Shape(2, 4, 5, 5),
                scope -> new NDList(scope.randomNormal(new Shape(2, 4, 5, 5))));
    }

    @Test
    void quantiserAndPriorLeaveNothingInTheParameterManager() {
        VectorQuantizer quantizer = new VectorQuantizer(8, 3, true);
        assertNoGrowth(quantizer, new Shape(2, 3, 4, 4), scope -> {
            NDArray ze = scope.randomNormal(new Shape(2, 3, 4, 4));
            NDList out = quantizer.forward(new ParameterStore(scope, false), new NDList(ze), true);
            quantizer.emaUpdate(out.get(4), out.get(5), 0.9f, 1e-5f);
            quantizer.lookup(quantizer.encode(ze));
            return new NDList(ze);
        });
        assertNoGrowth(new GatedPixelCnn(8, 6, 2, 3, 8), new Shape(2, 4, 4),
                scope -> new NDList(scope.zeros(new Shape(2, 4, 4), DataType.INT64)));
    }

    private static void assertNoGrowth(Block block, Shape inputShape, Function<NDManager, NDList> input) {
        try (NDManager parameters = NDManager.newBaseManager()) {
            block.initialize(parameters, DataType.FLOAT32, inputShape);
            run(block, parameters, input);
            int before = parameters.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                run(block, parameters, input);
            }
            assertThat(parameters.getManagedArrays()).hasSize(before);
        }
    }

    private static void run(Block block, NDManager parameters, Function<NDManager, NDList> input) {
        try (NDManager scope = parameters.newSubManager()) {
            block.forward(new ParameterStore(scope, false), input.apply(scope), false);
        }
    }
}
