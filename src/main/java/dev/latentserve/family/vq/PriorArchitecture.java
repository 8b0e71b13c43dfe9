package dev.latentserve.family.vq;

import static dev.latentserve.family.Hyperparameters.integer;
import static dev.latentserve.family.Hyperparameters.real;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.nn.GatedPixelCnn;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Hyperparameters of the gated PixelCNN prior over the code maps of a one-level VQ-VAE (a trained one, or an imported
 * one): the {@code prior} of its architecture.
 */
public record PriorArchitecture(int channels, int layers, int kernel, int hidden) {

    public static final String TYPE = "gated-pixelcnn";
    private static final Set<String> KEYS = Set.of("type", "channels", "layers", "kernel", "hidden");

    /**
     * The prior's hyperparameters with defaults filled in.
     *
     * @throws InvalidArchitectureException for an unknown field or a value out of range
     */
    public static PriorArchitecture from(Map<String, Object> requested) {
        Hyperparameters.checkKeys(requested, KEYS, "prior");
        Object type = requested.getOrDefault("type", TYPE);
        if (!TYPE.equals(type)) {
            throw new InvalidArchitectureException("prior type must be '" + TYPE + "', not '" + type + "'");
        }
        int kernel = integer(requested, "kernel", 3, 1, 15);
        if (kernel % 2 == 0) {
            throw new InvalidArchitectureException("prior kernel must be odd, not " + kernel);
        }
        return new PriorArchitecture(integer(requested, "channels", 64, 1, 1024), integer(requested, "layers", 8, 1, 40), kernel,
                integer(requested, "hidden", 128, 1, 4096));
    }

    /** The prior over the codes of a codebook of {@code codes} entries, to fit or to load parameters into. */
    public GatedPixelCnn block(int codes) {
        return new GatedPixelCnn(codes, channels, layers, kernel, hidden);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", TYPE);
        map.put("channels", channels);
        map.put("layers", layers);
        map.put("kernel", kernel);
        map.put("hidden", hidden);
        return map;
    }

}
