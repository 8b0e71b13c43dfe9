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

        /**
         * Multiply-adds of a forward pass over one code map of {@code height x width} positions and {@code codes} codes:
         * the gated layers and head at every position ({@link #gatedPerPosition}), and at every position of each attention
         * layer its 1x1 query/key/value projection (C + 2 -> 3C, the 2 being the coordinates), its output projection
         * (C -> C) and the products with all L positions' keys and values (2 L C).
         */
        long multiplyAddsPerMap(int codes, int height, int width) {
            long positions = (long) height * width;
            int attentionLayers = attentionEvery == 0 ? 0 : layers / attentionEvery;
            long attention = 3L * channels * (channels + 2) + (long) channels * channels + 2 * positions * channels;
            return positions * (gatedPerPosition(codes, channels, layers, kernel, hidden, 0) + attentionLayers * attention);
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

        /**
         * Multiply-adds of a forward pass over one bottom code map of {@code height x width} positions: the conditioned
         * gated layers and head at every position ({@link #gatedPerPosition}), and the conditioning stack at each of the
         * top map's quarter as many positions: the top codes' embedding (K_top x C'), a 3x3 convolution (9 C'^2) and
         * residual blocks of a 3x3 convolution to C'/2 channels and a 1x1 one back (5 C'^2 each), as
         * {@link ConditionalPixelCnn} builds them.
         */
        long multiplyAddsPerMap(int topCodes, int bottomCodes, int height, int width) {
            long positions = (long) height * width;
            long c = conditionChannels;
            long residual = Math.max(1, c / 2);
            long conditioning = topCodes * c + 9 * c * c + conditionBlocks * (9 * c * residual + residual * c);
            return positions * gatedPerPosition(bottomCodes, channels, layers, kernel, hidden, conditionChannels)
                    + positions / 4 * conditioning;
        }
    }

    /**
     * Multiply-adds of a gated PixelCNN's forward pass per code position ({@link dev.latentserve.nn.GatedMaskedConv2d}):
     * the code embedding (a one-hot K x C product); per layer the (k/2+1) x k vertical and 1 x (k/2+1) horizontal
     * convolutions to 2C channels, the 1x1 vertical-to-horizontal (2C -> 2C) and output (C -> C) convolutions and, with
     * conditioning features of C' channels, their 1x1 projection to 4C; and the 1x1 head C -> hidden -> K.
     */
    static long gatedPerPosition(int codes, int channels, int layers, int kernel, int hidden, int conditionChannels) {
        long c = channels;
        long rows = kernel / 2 + 1;
        long layer = 2 * c * c * rows * kernel + 2 * c * c * rows + 4 * c * c + c * c + 4 * c * conditionChannels;
        return codes * c + layers * layer + c * hidden + (long) hidden * codes;
    }

    /** The priors a fit-prior request asks for, defaults filled in. */
    static PriorArchitectures fromRequest(Map<String, Object> requested) {
        Hyperparameters.checkKeys(requested, REQUEST_KEYS, "fit-prior");
        Object levels = requested.getOrDefault("levels", List.of(TOP, BOTTOM));
        if (!(levels instanceof List<?> names) || names.isEmpty()
                || names.stream().anyMatch(name -> !TOP.equals(name) && !BOTTOM.equals(name)) || names.size() != Set.copyOf(names).size()) {
            throw new InvalidArchitectureException("levels must be a non-empty list of 'top' and 'bottom', each once, not " + levels);
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
