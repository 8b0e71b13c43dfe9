package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OneDnnTests {

    /** The probe's direct sum, against PyTorch's own convolution: a wrong probe would turn oneDNN off everywhere. */
    @Test
    void theProbeHoldsForAnExactConvolution() {
        boolean before = OneDnn.isEnabled();
        try {
            OneDnn.setEnabled(false);
            assertThat(OneDnn.convolutionIsExact()).isTrue();
        } finally {
            OneDnn.setEnabled(before);
        }
    }

    @Test
    void theSwitchReachesLibtorch() {
        boolean before = OneDnn.isEnabled();
        try {
            OneDnn.setEnabled(false);
            assertThat(OneDnn.isEnabled()).isFalse();
            OneDnn.setEnabled(true);
            assertThat(OneDnn.isEnabled()).isTrue();
        } finally {
            OneDnn.setEnabled(before);
        }
    }

    /**
     * The VQ-VAE's residual 3x3 convolution (16 to 8 channels on a 4x4 grid) and its last transposed convolution's
     * phase convolution (2x2, 4 output channels). With oneDNN blocked for 1-byte caches their input gradients were
     * wrong in nearly every repetition (by up to 5.7, sometimes NaN); after the training path's setup they are the
     * direct sums.
     */
    @Test
    void convolutionInputGradientsAreTheDirectSums() {
        GradMode.disableForTraining();
        assertInputGradientIsDirectSum(32, 16, 8, 4, 3, 1);
        assertInputGradientIsDirectSum(32, 16, 4, 8, 2, 1);
    }

    private static void assertInputGradientIsDirectSum(int n, int in, int out, int size, int kernel, int padding) {
        SplittableRandom random = new SplittableRandom(in * 31L + out);
        int outSize = size + 2 * padding - kernel + 1;
        float[] x = gaussian(random, n * in * size * size);
        float[] w = gaussian(random, out * in * kernel * kernel);
        float[] g = gaussian(random, n * out * outSize * outSize);
        double[] expected = new double[x.length];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < outSize; i++) {
                    for (int j = 0; j < outSize; j++) {
                        double upstream = g[((b * out + o) * outSize + i) * outSize + j];
                        for (int c = 0; c < in; c++) {
                            for (int u = 0; u < kernel; u++) {
                                for (int v = 0; v < kernel; v++) {
                                    int row = i + u - padding;
                                    int column = j + v - padding;
                                    if (row >= 0 && column >= 0 && row < size && column < size) {
                                        expected[((b * in + c) * size + row) * size + column] +=
                                                upstream * w[((o * in + c) * kernel + u) * kernel + v];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int repetition = 0; repetition < 3; repetition++) {
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray input = scope.create(x, new Shape(n, in, size, size));
                input.setRequiresGradient(true);
                NDArray weight = scope.create(w, new Shape(out, in, kernel, kernel));
                NDArray upstream = scope.create(g, new Shape(n, out, outSize, outSize));
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Conv2d.conv2d(input, weight, null, new Shape(1, 1), new Shape(padding, padding)).singletonOrThrow();
                    collector.backward(y.mul(upstream).sum());
                }
                float[] gradient = input.getGradient().toFloatArray();
                for (int i = 0; i < gradient.length; i++) {
                    assertThat((double) gradient[i]).as("input gradient %d of %s->%s channels, %dx%d kernel", i, in, out, kernel, kernel)
                            .isCloseTo(expected[i], within(1e-4 * (1 + Math.abs(expected[i]))));
                }
            }
        }
    }

    private static float[] gaussian(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
