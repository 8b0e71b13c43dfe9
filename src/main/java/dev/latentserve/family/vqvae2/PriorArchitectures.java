package dev.latentserve.family.vqvae2;

import static dev.latentserve.family.Hyperparameters.integer;
import static dev.latentserve.family.Hyperparameters.real;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Hyperparameters of the two VQ-VAE-2 priors, either of which may be absent. A fit-prior request names the levels
 * to fit ({@code "levels": ["top", "bottom"]}, the default) and each level's settings under {@code "top"} and
 * {@code "bottom"}; a model's architecture keeps the levels it has under {@code "prior"}.
 */
record PriorArchitectures(@Nullable TopPrior top, @Nullable BottomPrior bottom) {

    static final String TYPE = "vqvae2-priors";
    static final String TOP = "top";
    static final String BOTTOM = "bottom";
    private static final Set<String> REQUEST_KEYS = Set.of("levels", TOP, BOTTOM);
    private static final Set<String> STORED_KEYS = Set.of("type", TOP, BOTTOM);

    /**
     * Gated PixelCNN over the top codes with causal multi-head self-attention after every {@code attentionEvery}
     * layers, and dropout after each layer and on the attention weights.
     */
    record TopPrior(int channels, int layers, int kernel, int hidden, int attentionEvery, int heads, double dropout) {

        private static final Set<String> KEYS = Set.of("channels", "layers", "kernel", "hidden", "attentionEvery", "heads",
                "dropout");

        static TopPrior from(Map<String, Object> requested) {
            Hyperparameters.checkKeys(requested, KEYS, "top prior");
            TopPrior prior = new TopPrior(integer(requested, "channels", 64, 1, 1024), integer(requested, "layers", 8, 1, 40),
                    oddKernel(requested), integer(requested, "hidden", 128, 1, 4096), integer(requested, "attentionEvery", 4, 0, 40),
                    integer(requested, "heads", 4, 1, 64), real(requested, "dropout", 0.1, 0, 0.9));
            if (prior.channels % prior.heads != 0) {
                throw new InvalidArchitectureException("top prior channels (" + prior.channels + ") must divide into heads ("
                        + prior.heads + ")");
            }
            return prior;
        }

        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("channels", channels);
            map.put("layers", layers);
            map.put("kernel", kernel);
            map.put("hidden", hidden);
            map.put("attentionEvery", attentionEvery);
            map.put("heads", heads);
            map.put("dropout", dropout);
            return map;
        }
    }

    /**
     * Gated PixelCNN over the bottom codes, conditioned on the top codes through a residual conditioning stack of
     * {@code conditionBlocks} blocks over {@code conditionChannels} channels.
     */
    record BottomPrior(int channels, int layers, int kernel, int hidden, int conditionChannels, int conditionBlocks,
            double dropout) {

        private static final Set<String> KEYS = Set.of("channels", "layers", "kernel", "hidden", "conditionChannels",
                "conditionBlocks", "dropout");

        static BottomPrior from(Map<String, Object> requested) {
            Hyperparameters.checkKeys(requested, KEYS, "bottom prior");
            return new BottomPrior(integer(requested, "channels", 64, 1, 1024), integer(requested, "layers", 8, 1, 40),
                    oddKernel(requested), integer(requested, "hidden", 128, 1, 4096),
                    integer(requested, "conditionChannels", 32, 1, 1024), integer(requested, "conditionBlocks", 2, 0, 16),
                    real(requested, "dropout", 0.0, 0, 0.9));
        }

        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("channels", channels);
            map.put("layers", layers);
            map.put("kernel", kernel);
            map.put("hidden", hidden);
            map.put("conditionChannels", conditionChannels);
            map.put("conditionBlocks", conditionBlocks);
            map.put("dropout", dropout);
            return map;
        }
    }

    /** The priors a fit-prior request asks for, defaults filled in. */
    static PriorArchitectures fromRequest(Map<String, Object> requested) {
        Hyperparameters.checkKeys(requested, REQUEST_KEYS, "fit-prior");
        Object levels = requested.getOrDefault("levels", List.of(TOP, BOTTOM));
        if (!(levels instanceof List<?> names) || names.isEmpty() || !List.of(TOP, BOTTOM).containsAll(names)) {
            throw new InvalidArchitectureException("levels must be a non-empty list of 'top' and 'bottom', not " + levels);
        }
        boolean top = names.contains(TOP);
        boolean bottom = names.contains(BOTTOM);
        if (!top && requested.containsKey(TOP) || !bottom && requested.containsKey(BOTTOM)) {
            throw new InvalidArchitectureException("settings were given for a level that levels " + names + " leaves out");
        }
        return new PriorArchitectures(top ? TopPrior.from(section(requested, TOP)) : null,
                bottom ? BottomPrior.from(section(requested, BOTTOM)) : null);
    }

    /** The priors a model's architecture holds under "prior"; none when it has none. */
    static PriorArchitectures fromModel(Map<String, Object> modelArchitecture) {
        if (!(modelArchitecture.get("prior") instanceof Map<?, ?> prior)) {
            return new PriorArchitectures(null, null);
        }
        Map<String, Object> stored = section(modelArchitecture, "prior");
        Hyperparameters.checkKeys(stored, STORED_KEYS, "stored prior");
        return new PriorArchitectures(prior.get(TOP) == null ? null : TopPrior.from(section(stored, TOP)),
                prior.get(BOTTOM) == null ? null : BottomPrior.from(section(stored, BOTTOM)));
    }

    /** These priors, with the other one's where this one has none. */
    PriorArchitectures orElse(PriorArchitectures other) {
        return new PriorArchitectures(top != null ? top : other.top, bottom != null ? bottom : other.bottom);
    }

    boolean isComplete() {
        return top != null && bottom != null;
    }

    boolean isEmpty() {
        return top == null && bottom == null;
    }

    List<String> levels() {
        return top == null ? bottom == null ? List.of() : List.of(BOTTOM) : bottom == null ? List.of(TOP) : List.of(TOP, BOTTOM);
    }

    /** As stored in a model's architecture. */
    Map<String, Object> toModelMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", TYPE);
        if (top != null) {
            map.put(TOP, top.toMap());
        }
        if (bottom != null) {
            map.put(BOTTOM, bottom.toMap());
        }
        return map;
    }

    /** As stored in a fit-prior job's request. */
    Map<String, Object> toRequestMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("levels", levels());
        if (top != null) {
            map.put(TOP, top.toMap());
        }
        if (bottom != null) {
            map.put(BOTTOM, bottom.toMap());
        }
        return map;
    }

    private static int oddKernel(Map<String, Object> requested) {
        int kernel = integer(requested, "kernel", 3, 1, 15);
        if (kernel % 2 == 0) {
            throw new InvalidArchitectureException("prior kernel must be odd, not " + kernel);
        }
        return kernel;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> map, String key) {
        Object value = map.get(key);
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?>)) {
            throw new InvalidArchitectureException(key + " must be an object of hyperparameters, not " + value);
        }
        return (Map<String, Object>) value;
    }
}
