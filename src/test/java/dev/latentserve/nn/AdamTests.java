package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.PairList;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.Test;

class AdamTests {

    @Test
    void twoStepsMatchAlgorithmOneByHand() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.create(new float[] {1.0f, -2.0f});
            Adam adam = new Adam(0.1f);
            adam.update("w", w, manager.create(new float[] {0.5f, -1.0f}));
            adam.update("w", w, manager.create(new float[] {0.3f, 2.0f}));
            double[] expected = {1.0, -2.0};
            double[][] grads = {{0.5, -1.0}, {0.3, 2.0}};
            double[] m = new double[2];
            double[] v = new double[2];
            for (int t = 1; t <= 2; t++) {
                for (int i = 0; i < 2; i++) {
                    double g = grads[t - 1][i];
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    double mHat = m[i] / (1 - Math.pow(0.9, t));
                    double vHat = v[i] / (1 - Math.pow(0.999, t));
                    expected[i] -= 0.1 * mHat / (Math.sqrt(vHat) + 1e-8);
                }
            }
            assertThat(w.toFloatArray()).containsExactly(new float[] {(float) expected[0], (float) expected[1]}, within(1e-5f));
        }
    }

    @Test
    void savedStateContinuesExactlyWhereItStopped() throws Exception {
        Linear layer = Linear.builder().setUnits(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            layer.initialize(manager, DataType.FLOAT32, new Shape(1, 3));
            PairList<String, Parameter> parameters = layer.getParameters();
            NDArray weight = parameters.get(0).getValue().getArray();
            NDArray grad = manager.ones(weight.getShape()).mul(0.25);
            Adam first = new Adam(0.01f);
            first.update(parameters.get(0).getValue().getId(), weight, grad);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            first.save(parameters, new DataOutputStream(bytes));
            NDArray copy = weight.duplicate();

            first.update(parameters.get(0).getValue().getId(), weight, grad);
            Adam restored = new Adam(0.01f);
            restored.load(parameters, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            restored.update(parameters.get(0).getValue().getId(), copy, grad);
            assertThat(copy.toFloatArray()).containsExactly(weight.toFloatArray(), within(1e-7f));
        }
    }
}
