package dev.latentserve.family.vqvae2;

import static dev.latentserve.family.Hyperparameters.integer;
import static dev.latentserve.family.Hyperparameters.real;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.vq.CodebookObjective;
import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hyperparameters of the VQ-VAE-2: hidden and residual channels and residual blocks of the encoders and decoders,
 * K codes of dimension D per level, the codebook mode (EMA or codebook loss), the commitment weight beta (applied to
 * both levels' commitment), and the dead-code threshold.
 *
 * <p>The bottom encoder halves the image twice and the top encoder once more, so height and width must divide by
 * 8: other sizes are padded with zeros, centred, and cropped back on output ({@link #padding}); 28x28 becomes 32x32
 * with an 8x8 bottom and a 4x4 top map.
 */
record VqVae2Architecture(int hiddenChannels, int residualChannels, int residualBlocks, int topCodes, int topCodeDim,
        int bottomCodes, int bottomCodeDim, boolean ema, double decay, double epsilon, double beta, double deadCodeThreshold) {

    static final int FACTOR = 8;
    private static final Set<String> KEYS = Set.of("hiddenChannels", "residualChannels", "residualBlocks", "topCodes",
            "topCodeDim", "bottomCodes", "bottomCodeDim", "codebook", "decay", "epsilon", "beta", "deadCodeThreshold", "prior");

    static VqVae2Architecture from(Map<String, Object> requested, ImageShape shape) {
        Hyperparameters.checkKeys(requested, KEYS, "VQ-VAE-2 architecture");
        Object codebook = requested.getOrDefault("codebook", "ema");
        if (!"ema".equals(codebook) && !"loss".equals(codebook)) {
            throw new InvalidArchitectureException("codebook must be 'ema' or 'loss', not '" + codebook + "'");
        }
        if (requested.get("prior") != null && !(requested.get("prior") instanceof Map<?, ?>)) {
            throw new InvalidArchitectureException("prior must be an object of prior hyperparameters");
        }
        return new VqVae2Architecture(
                integer(requested, "hiddenChannels", 64, 1, 1024),
                integer(requested, "residualChannels", 32, 1, 1024),
                integer(requested, "residualBlocks", 2, 0, 16),
                integer(requested, "topCodes", 64, 2, 65_536),
                integer(requested, "topCodeDim", 32, 1, 1024),
                integer(requested, "bottomCodes", 64, 2, 65_536),
                integer(requested, "bottomCodeDim", 32, 1, 1024),
                "ema".equals(codebook),
                real(requested, "decay", 0.99, 0, 1),
                real(requested, "epsilon", 1e-5, 0, 1),
                real(requested, "beta", 0.25, 0, 100),
                real(requested, "deadCodeThreshold", 1.0, 0, 1e6));
    }

    /** Zero padding that makes both sides divide by 8, split evenly (the extra row or column goes last). */
    record Padding(int top, int bottom, int left, int right) {

        static Padding of(ImageShape shape) {
            int height = roundUp(shape.height()) - shape.height();
            int width = roundUp(shape.width()) - shape.width();
            return new Padding(height / 2, height - height / 2, width / 2, width - width / 2);
        }

        private static int roundUp(int side) {
            return (side + FACTOR - 1) / FACTOR * FACTOR;
        }

        boolean isNone() {
            return top == 0 && bottom == 0 && left == 0 && right == 0;
        }

        ImageShape padded(ImageShape shape) {
            return new ImageShape(shape.channels(), shape.height() + top + bottom, shape.width() + left + right);
        }

        Map<String, Integer> toMap() {
            Map<String, Integer> sides = new java.util.LinkedHashMap<>();
            sides.put("top", top);
            sides.put("bottom", bottom);
            sides.put("left", left);
            sides.put("right", right);
            return sides;
        }
    }

    Padding padding(ImageShape shape) {
        return Padding.of(shape);
    }

    /** The bottom code map's (height, width): a quarter of the padded image. */
    List<Integer> bottomGrid(ImageShape shape) {
        ImageShape padded = padding(shape).padded(shape);
        return List.of(padded.height() / 4, padded.width() / 4);
    }

    /** The top code map's (height, width): an eighth of the padded image. */
    List<Integer> topGrid(ImageShape shape) {
        ImageShape padded = padding(shape).padded(shape);
        return List.of(padded.height() / FACTOR, padded.width() / FACTOR);
    }

    /** The commitment weight, EMA and dead-code settings of the training objective, the same for both levels. */
    CodebookObjective.Settings codebookSettings() {
        return new CodebookObjective.Settings(beta, decay, epsilon, deadCodeThreshold);
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("hiddenChannels", hiddenChannels);
        map.put("residualChannels", residualChannels);
        map.put("residualBlocks", residualBlocks);
        map.put("topCodes", topCodes);
        map.put("topCodeDim", topCodeDim);
        map.put("bottomCodes", bottomCodes);
        map.put("bottomCodeDim", bottomCodeDim);
        map.put("codebook", ema ? "ema" : "loss");
        map.put("decay", decay);
        map.put("epsilon", epsilon);
        map.put("beta", beta);
        map.put("deadCodeThreshold", deadCodeThreshold);
        return map;
    }
}
