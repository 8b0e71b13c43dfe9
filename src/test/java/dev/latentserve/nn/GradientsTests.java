package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;
import org.junit.jupiter.api.Test;

class GradientsTests {

    @Test
    void namesOnlyTheParametersWithNonFiniteGradientsAndClearDropsThem() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PairList<String, Parameter> parameters = new PairList<>();
            NDArray[] arrays = new NDArray[3];
            String[] names = {"finite", "infinite", "nan"};
            for (int i = 0; i < names.length; i++) {
                Parameter parameter = Parameter.builder().setName(names[i]).setType(Parameter.Type.WEIGHT).build();
                arrays[i] = manager.create(new float[] {0f, 1f});
                arrays[i].setRequiresGradient(true);
                parameter.setArray(arrays[i]);
                parameters.add(names[i], parameter);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // d/dw of w^2 is finite; of sqrt(w) at w = 0 infinite; of 0 * log(w) at w = 0 NaN (0 * -inf).
                NDArray loss = arrays[0].square().sum()
                        .add(arrays[1].sqrt().sum())
                        .add(arrays[2].log().mul(0).sum());
                collector.backward(loss);
            }
            try (NDManager scope = manager.newSubManager()) {
                assertThat(Gradients.nonFinite(parameters, scope)).containsExactly("infinite", "nan");
            }
            Gradients.clear(parameters);
            try (NDManager scope = manager.newSubManager()) {
                assertThat(Gradients.nonFinite(parameters, scope)).isEmpty();
            }
        }
    }
}
