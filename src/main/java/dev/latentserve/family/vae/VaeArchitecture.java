package dev.latentserve.family.vae;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.image.ImageShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Hyperparameters of the convolutional VAE. Each entry of {@code channels} is one 4x4 stride-2
 * convolution (halving height and width), mirrored by a transposed convolution in the decoder.
 */
record VaeArchitecture(List<Integer> channels, int hiddenDim, int latentDim, Likelihood likelihood, double sigma) {

    static final List<Integer> DEFAULT_CHANNELS = List.of(32, 64);
    static final int DEFAULT_HIDDEN = 256;
    static final int DEFAULT_LATENT = 16;
    static final double DEFAULT_SIGMA = 0.1;
    private static final Set<String> KEYS = Set.of("channels", "hiddenDim", "latentDim", "likelihood", "sigma");

    enum Likelihood {
        BERNOULLI, GAUSSIAN
    }

    static VaeArchitecture from(Map<String, Object> requested, ImageShape shape) {
        Hyperparameters.checkKeys(requested, KEYS, "VAE architecture");
        List<Integer> channels = requested.containsKey("channels")
                ? intList(requested.get("channels"))
                : DEFAULT_CHANNELS;
        int hidden = intValue(requested, "hiddenDim", DEFAULT_HIDDEN);
        int latent = intValue(requested, "latentDim", DEFAULT_LATENT);
        Likelihood likelihood = likelihood(requested.getOrDefault("likelihood", "bernoulli"));
        Object requestedSigma = requested.get("sigma");
        if (requestedSigma != null && !(requestedSigma instanceof Number)) {
            throw new InvalidArchitectureException("sigma (Gaussian likelihood) must be a number within (0, 10], not "
                    + Hyperparameters.describe(requestedSigma));
        }
        double sigma = requestedSigma instanceof Number n ? n.doubleValue() : DEFAULT_SIGMA;
        VaeArchitecture architecture = new VaeArchitecture(List.copyOf(channels), hidden, latent, likelihood, sigma);
        architecture.check(shape);
        return architecture;
    }

    private void check(ImageShape shape) {
        if (channels.isEmpty() || channels.size() > 5) {
            throw new InvalidArchitectureException("channels must list 1 to 5 convolution widths");
        }
        for (int c : channels) {
            if (c < 1 || c > 1024) {
                throw new InvalidArchitectureException("each channel count must be within 1..1024, not " + c);
            }
        }
        int factor = 1 << channels.size();
        if (shape.height() % factor != 0 || shape.width() % factor != 0) {
            throw new InvalidArchitectureException(channels.size() + " stride-2 convolutions need height and width divisible by "
                    + factor + "; the input is " + shape + ". Use fewer channel entries or another input size.");
        }
        if (hiddenDim < 1 || hiddenDim > 8192) {
            throw new InvalidArchitectureException("hiddenDim must be within 1..8192, not " + hiddenDim);
        }
        if (latentDim < 1 || latentDim > 1024) {
            throw new InvalidArchitectureException("latentDim must be within 1..1024, not " + latentDim);
        }
        if (!(sigma > 0 && sigma <= 10)) {
            throw new InvalidArchitectureException("sigma (Gaussian likelihood) must be within (0, 10], not " + sigma);
        }
        long flat = (long) channels.getLast() * (shape.height() / factor) * (shape.width() / factor);
        if (flat * hiddenDim > 50_000_000L) {
            throw new InvalidArchitectureException("the flattened encoder output (" + flat + ") times hiddenDim (" + hiddenDim
                    + ") exceeds 50 million weights; add a convolution or lower hiddenDim");
        }
    }

    int downsampling() {
        return 1 << channels.size();
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("channels", channels);
        map.put("hiddenDim", hiddenDim);
        map.put("latentDim", latentDim);
        map.put("likelihood", likelihood.name().toLowerCase(Locale.ROOT));
        map.put("sigma", sigma);
        return map;
    }

    private static Likelihood likelihood(Object value) {
        try {
            return Likelihood.valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidArchitectureException("likelihood must be 'bernoulli' or 'gaussian', not '" + value + "'");
        }
    }

    private static int intValue(Map<String, Object> map, String key, int fallback) {
        Object value = map.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        throw new InvalidArchitectureException(key + " must be an integer, not " + value);
    }

    private static List<Integer> intList(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new InvalidArchitectureException("channels must be a list of integers, not " + value);
        }
        List<Integer> result = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new InvalidArchitectureException("channels must be a list of integers; found " + item);
            }
            result.add(n.intValue());
        }
        return result;
    }
}
