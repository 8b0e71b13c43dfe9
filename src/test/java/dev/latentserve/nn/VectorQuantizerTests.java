package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorQuantizerTests {

    /** Codebook of three 2-D codes: (0,0), (1,0), (0,1). */
    private static final float[] CODEBOOK = {0, 0, 1, 0, 0, 1};

    @Test
    void picksTheNearestCode() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VectorQuantizer quantizer = quantizer(manager, false);
            // Four vectors on a 1x2x2 grid, as (N, D, H, W): (0.9, 0.2) (0.1, 0.1) (0.2, 0.7) (0.6, 0.5)
            NDArray ze = grid(manager, new float[][] {{0.9f, 0.2f}, {0.1f, 0.1f}, {0.2f, 0.7f}, {0.6f, 0.5f}});
            NDList out = quantizer.forward(new ParameterStore(manager, false), new NDList(ze), false);
            assertThat(out.get(1).toLongArray()).containsExactly(1, 0, 2, 1);
            assertThat(quantizer.encode(ze).toLongArray()).containsExactly(1, 0, 2, 1);
            // z_q holds the chosen codes: position 0 gets (1, 0)
            assertThat(out.get(0).get("0, :, 0, 0").toFloatArray()).containsExactly(1f, 0f);
            assertThat(quantizer.lookup(out.get(1)).toFloatArray()).containsExactly(out.get(0).toFloatArray());
            // commitment = mean squared distance to the chosen codes
            double expected = (0.01 + 0.04 + 0.01 + 0.01 + 0.04 + 0.09 + 0.16 + 0.25) / 8;
            assertThat(out.get(2).getFloat()).isCloseTo((float) expected, within(1e-6f));
            assertThat(VectorQuantizer.perplexity(out.get(5))).isCloseTo(Math.exp(-(0.25 * Math.log(0.25) * 2 + 0.5 * Math.log(0.5))),
                    within(1e-6));
            assertThat(VectorQuantizer.usedCodes(out.get(5))).isEqualTo(3);
        }
    }

    @Test
    void straightThroughPassesTheDecoderGradientToTheEncoderUnchanged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VectorQuantizer quantizer = quantizer(manager, true);
            NDArray ze = grid(manager, new float[][] {{0.9f, 0.2f}, {0.1f, 0.1f}, {0.2f, 0.7f}, {0.6f, 0.5f}});
            ze.setRequiresGradient(true);
            NDArray upstream = manager.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(1, 2, 2, 2));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDList out = quantizer.forward(new ParameterStore(manager, false), new NDList(ze), true);
                collector.backward(out.get(0).mul(upstream).sum());
            }
            assertThat(ze.getGradient().toFloatArray()).containsExactly(upstream.toFloatArray());
        }
    }

    @Test
    void emaUpdateMatchesAHandComputedStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VectorQuantizer quantizer = quantizer(manager, true);
            NDArray flat = manager.create(new float[] {0.9f, 0.2f, 0.1f, 0.1f, 0.2f, 0.7f, 0.6f, 0.5f}, new Shape(4, 2));
            NDArray oneHot = manager.create(new float[] {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0}, new Shape(4, 3));
            quantizer.emaUpdate(flat, oneHot, 0.5f, 1e-5f);
            // setCodebook left N = 1 and m = e. With decay 0.5: N = 0.5 + 0.5 n = (1.0, 1.5, 1.0),
            // m = 0.5 e + 0.5 sum: code 0: (0.05, 0.05); code 1: 0.5 (1,0) + 0.5 (1.5, 0.7) = (1.25, 0.35);
            // code 2: 0.5 (0,1) + 0.5 (0.2, 0.7) = (0.1, 0.85). Laplace: N~ = (N + eps) / (3.5 + 3 eps) * 3.5.
            double total = 3.5;
            double[] n = {1.0, 1.5, 1.0};
            double[][] m = {{0.05, 0.05}, {1.25, 0.35}, {0.1, 0.85}};
            float[] expected = new float[6];
            for (int k = 0; k < 3; k++) {
                double smoothed = (n[k] + 1e-5) / (total + 3e-5) * total;
                expected[2 * k] = (float) (m[k][0] / smoothed);
                expected[2 * k + 1] = (float) (m[k][1] / smoothed);
            }
            assertThat(quantizer.codebook().toFloatArray()).containsExactly(expected, within(1e-5f));
        }
    }

    @Test
    void deadCodesAreRestartedAtEncoderOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VectorQuantizer quantizer = quantizer(manager, true);
            NDArray flat = manager.create(new float[] {5f, 5f, 5f, 5f}, new Shape(2, 2));
            NDArray oneHot = manager.create(new float[] {0, 1, 0, 0, 1, 0}, new Shape(2, 3));
            for (int i = 0; i < 20; i++) {
                quantizer.emaUpdate(flat, oneHot, 0.5f, 1e-5f);
            }
            int restarted = quantizer.restartDeadCodes(flat, 0.01f, new SplittableRandom(1));
            assertThat(restarted).isEqualTo(2);
            float[] book = quantizer.codebook().toFloatArray();
            assertThat(new float[] {book[0], book[1], book[4], book[5]}).containsOnly(5f);
        }
    }

    private static VectorQuantizer quantizer(NDManager manager, boolean ema) {
        VectorQuantizer quantizer = new VectorQuantizer(3, 2, ema);
        quantizer.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 2, 2));
        quantizer.setCodebook(CODEBOOK);
        return quantizer;
    }

    /** Vectors in raster order on a 2x2 grid as (1, D, 2, 2). */
    private static NDArray grid(NDManager manager, float[][] vectors) {
        float[] chw = new float[8];
        for (int p = 0; p < 4; p++) {
            chw[p] = vectors[p][0];
            chw[4 + p] = vectors[p][1];
        }
        return manager.create(chw, new Shape(1, 2, 2, 2));
    }
}
