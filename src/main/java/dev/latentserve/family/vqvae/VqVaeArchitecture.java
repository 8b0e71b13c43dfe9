package dev.latentserve.family.vqvae;

import static dev.latentserve.family.Hyperparameters.integer;
import static dev.latentserve.family.Hyperparameters.real;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.vq.CodebookObjective;
import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Hyperparameters of the VQ-VAE (van den Oord et al. 2017): {@code downsamplings} 4x4 stride-2 convolutions
 * (two turn 28x28 into a 7x7 grid), residual blocks, K codes of dimension D, the codebook mode (EMA or
 * codebook loss), the commitment weight beta and the dead-code threshold: a code whose moving average of
 * assignments per batch falls below it is restarted at a random encoder output of the current batch.
 */
record VqVaeArchitecture(int hiddenChannels, int residualChannels, int residualBlocks, int downsamplings, int codes,
        int codeDim, CodebookMode codebook, double decay, double epsilon, double beta, double deadCodeThreshold,
        boolean kmeansInit) {

    private static final Set<String> KEYS = Set.of("hiddenChannels", "residualChannels", "residualBlocks", "downsamplings",
            "codes", "codeDim", "codebook", "decay", "epsilon", "beta", "deadCodeThreshold", "codebookInit", "prior");

    enum CodebookMode {
        EMA, LOSS
    }

    static VqVaeArchitecture from(Map<String, Object> requested, ImageShape shape) {
        Hyperparameters.checkKeys(requested, KEYS, "VQ-VAE architecture");
        VqVaeArchitecture architecture = new VqVaeArchitecture(
                integer(requested, "hiddenChannels", 64, 1, 1024),
                integer(requested, "residualChannels", 32, 1, 1024),
                integer(requested, "residualBlocks", 2, 0, 16),
                integer(requested, "downsamplings", 2, 1, 4),
                integer(requested, "codes", 64, 2, 65_536),
                integer(requested, "codeDim", 32, 1, 1024),
                mode(requested.getOrDefault("codebook", "ema")),
                real(requested, "decay", 0.99, 0, 1),
                real(requested, "epsilon", 1e-5, 0, 1),
                real(requested, "beta", 0.25, 0, 100),
                real(requested, "deadCodeThreshold", 1.0, 0, 1e6),
                kmeansInit(requested.getOrDefault("codebookInit", "random")));
        if (requested.get("prior") != null && !(requested.get("prior") instanceof Map<?, ?>)) {
            throw new InvalidArchitectureException("prior must be an object of prior hyperparameters");
        }
        int factor = 1 << architecture.downsamplings;
        if (shape.height() % factor != 0 || shape.width() % factor != 0) {
            throw new InvalidArchitectureException(architecture.downsamplings + " stride-2 convolutions need height and width "
                    + "divisible by " + factor + "; the input is " + shape + ". Use fewer downsamplings or another input size.");
        }
        return architecture;
    }

    int gridHeight(ImageShape shape) {
        return shape.height() >> downsamplings;
    }

    int gridWidth(ImageShape shape) {
        return shape.width() >> downsamplings;
    }

    /**
     * Multiply-adds of the encoder's forward pass over one image: the 4x4 stride-2 convolutions at each halved
     * resolution, then at the grid's g positions a 3x3 convolution (9 H^2 g, H the hidden channels), the residual blocks
     * (a 3x3 convolution to R channels and a 1x1 one back: 10 H R g each) and the 1x1 projection to D.
     */
    long encoderMultiplyAdds(ImageShape shape) {
        long total = 0;
        long inputs = shape.channels();
        for (int i = 1; i <= downsamplings; i++) {
            total += 16 * inputs * hiddenChannels * (shape.height() >> i) * (shape.width() >> i);
            inputs = hiddenChannels;
        }
        long grid = (long) gridHeight(shape) * gridWidth(shape);
        return total + grid * (9L * hiddenChannels * hiddenChannels + residualMultiplyAdds() + (long) hiddenChannels * codeDim);
    }

    /**
     * Multiply-adds of the decoder's forward pass over one image: at the grid's positions a 3x3 convolution from D to H
     * channels and the residual blocks, then each 4x4 stride-2 transposed convolution, 16 taps per input position.
     */
    long decoderMultiplyAdds(ImageShape shape) {
        long grid = (long) gridHeight(shape) * gridWidth(shape);
        long total = grid * (9L * codeDim * hiddenChannels + residualMultiplyAdds());
        for (int i = 0; i < downsamplings; i++) {
            long outputs = i == downsamplings - 1 ? shape.channels() : hiddenChannels;
            total += 16L * hiddenChannels * outputs * grid << (2 * i);
        }
        return total;
    }

    private long residualMultiplyAdds() {
        return residualBlocks * 10L * hiddenChannels * residualChannels;
    }

    /** The commitment weight, EMA and dead-code settings of the training objective. */
    CodebookObjective.Settings codebookSettings() {
        return new CodebookObjective.Settings(beta, decay, epsilon, deadCodeThreshold);
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("hiddenChannels", hiddenChannels);
        map.put("residualChannels", residualChannels);
        map.put("residualBlocks", residualBlocks);
        map.put("downsamplings", downsamplings);
        map.put("codes", codes);
        map.put("codeDim", codeDim);
        map.put("codebook", codebook.name().toLowerCase(Locale.ROOT));
        map.put("decay", decay);
        map.put("epsilon", epsilon);
        map.put("beta", beta);
        map.put("deadCodeThreshold", deadCodeThreshold);
        map.put("codebookInit", kmeansInit ? "kmeans" : "random");
        return map;
    }

    private static boolean kmeansInit(Object value) {
        return switch (String.valueOf(value)) {
            case "random" -> false;
            case "kmeans" -> true;
            default -> throw new InvalidArchitectureException("codebookInit must be 'random' or 'kmeans', not '" + value + "'");
        };
    }

    private static CodebookMode mode(Object value) {
        try {
            return CodebookMode.valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidArchitectureException("codebook must be 'ema' or 'loss', not '" + value + "'");
        }
    }


}
