package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PyTorch's default initialisation for linear and convolution layers, so that our models start where
 * the PyTorch reference starts: {@code kaiming_uniform(a=sqrt(5))}, i.e. weights and biases uniform
 * in {@code +-1/sqrt(fanIn)} with {@code fanIn = shape[1] * kernel area} of the weight. Draws come from a
 * seeded Java generator, so a seed fixes the initial model independently of the engine's global RNG.
 */
public final class TorchDefaultInit {

    private TorchDefaultInit() {
    }

    public static void apply(Block block, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Double> boundsByLayer = new HashMap<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.getType() == Parameter.Type.WEIGHT && parameter.requiresGradient()) {
                long[] shape = parameter.getArray().getShape().getShape();
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) {
                    fanIn *= shape[i];
                }
                double bound = 1.0 / Math.sqrt(fanIn);
                boundsByLayer.put(layer(entry.getKey(), "weight"), bound);
                fill(parameter.getArray(), bound, random);
            }
        }
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            Double bound = boundsByLayer.get(layer(entry.getKey(), "bias"));
            if (parameter.getType() == Parameter.Type.BIAS && bound != null) {
                fill(parameter.getArray(), bound, random);
            }
        }
    }

    private static String layer(String key, String suffix) {
        return key.endsWith(suffix) ? key.substring(0, key.length() - suffix.length()) : key;
    }

    private static void fill(NDArray array, double bound, SplittableRandom random) {
        float[] values = new float[Math.toIntExact(array.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        array.set(FloatBuffer.wrap(values));
    }
}
