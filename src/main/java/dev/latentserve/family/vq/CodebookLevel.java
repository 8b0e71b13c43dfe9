package dev.latentserve.family.vq;

import ai.djl.ndarray.types.Shape;
import dev.latentserve.nn.VectorQuantizer;

/**
 * One level of codes of a vector-quantised model: its quantiser and the size of its code map.
 *
 * @param name the level's name ({@code top}, {@code bottom}), which prefixes its statistics ({@code topPerplexity}); empty
 *     for a model's only level, whose statistics keep the bare names ({@code perplexity})
 * @param quantizer the level's codebook
 * @param height rows of the level's code map
 * @param width columns of the level's code map
 */
public record CodebookLevel(String name, VectorQuantizer quantizer, int height, int width) {

    /** Positions in the level's code map. */
    public int cells() {
        return height * width;
    }

    /** The shape (n, height, width) of n of the level's code maps. */
    public Shape maps(long n) {
        return new Shape(n, height, width);
    }

    /** The name of the level's value of {@code metric}: {@code perplexity} for an unnamed level, else {@code topPerplexity}. */
    public String term(String metric) {
        return term(name, metric);
    }

    /** {@code metric} prefixed by {@code level}, camel-cased: {@code topNll}; {@code metric} itself when the level is unnamed. */
    public static String term(String level, String metric) {
        return level.isEmpty() ? metric : level + Character.toUpperCase(metric.charAt(0)) + metric.substring(1);
    }
}
