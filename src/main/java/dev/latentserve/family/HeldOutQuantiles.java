package dev.latentserve.family;

import dev.latentserve.image.ImageData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The summary of a test set's scores that a version's manifest keeps so that /score can say where an image falls among
 * them (issue 17): every test image is scored exactly as /score scores it, and {@value HeldOutScoring#QUANTILES}
 * quantiles of the scores ({@link HeldOutScoring#quantiles}) go into the manifest's metrics.
 *
 * <ul>
 *   <li>Gaussian latents ({@link Scoring.Bounds}): the one-sample negative ELBO (L = 1, k = 1) under
 *       {@value HeldOutScoring#METRIC}, its noise seeded by the batch index, so the same version and data give the same
 *       numbers.</li>
 *   <li>Codes ({@link Scoring.CodeLikelihood}): {@code -log p(codes)} in nats under {@value #CODES_METRIC}, an object
 *       with the quantiles of the {@value #TOTAL} and of each level by name ("codes", or "top" and "bottom"). Exact and
 *       deterministic: the encoder's argmin codes scored by one teacher-forced pass of the priors.</li>
 * </ul>
 */
public final class HeldOutQuantiles {

    /** The manifest metric of the code models' quantiles of {@code -log p(codes)}, by level and in total. */
    public static final String CODES_METRIC = "testNegativeLogPriorQuantiles";
    /** The entry of {@link #CODES_METRIC} for the sum over levels. */
    public static final String TOTAL = "total";
    /** Images scored at once: bounded memory whatever the test set's size. */
    static final int BATCH = 500;

    private HeldOutQuantiles() {
    }

    /**
     * Each test image's score, in order, with L = 1 and k = 1 and the seed of each batch of {@value #BATCH} its index.
     *
     * @throws NoPriorException or {@link NotScorableException} when the model cannot score (its checkScore)
     */
    public static List<Scoring.Score> scores(Scoring model, ImageData test) {
        List<Scoring.Score> scores = new ArrayList<>(test.count());
        for (int from = 0; from < test.count(); from += BATCH) {
            int to = Math.min(test.count(), from + BATCH);
            float[][] images = test.images(from, to);
            Scoring.ScoreOptions options = new Scoring.ScoreOptions(1, 1, from / BATCH);
            model.checkScore(options);
            scores.addAll(model.score(List.of(new Scoring.ScoreCall(images, options))).getFirst());
        }
        return scores;
    }

    /**
     * The manifest metrics summarising {@code test}'s scores under {@code model}: one entry, {@value HeldOutScoring#METRIC}
     * or {@value #CODES_METRIC}; none when the model cannot score (a VQ-VAE-2 with one level's prior, which /score
     * refuses too) or {@code test} is empty.
     *
     * @throws IllegalArgumentException when a score is not finite: a quantile of infinity would make every percentile
     *     meaningless
     */
    public static Map<String, Object> metrics(LoadedModel model, ImageData test) {
        if (!(model instanceof Scoring scoring) || test.count() == 0) {
            return Map.of();
        }
        List<Scoring.Score> scores;
        try {
            scores = scores(scoring, test);
        } catch (NoPriorException | NotScorableException e) {
            return Map.of();
        }
        return metrics(scores);
    }

    /**
     * The manifest entry for these scores, all of one kind; see {@link #metrics(LoadedModel, ImageData)}.
     *
     * @throws IllegalArgumentException when a score is not finite
     */
    public static Map<String, Object> metrics(List<Scoring.Score> scores) {
        if (scores.isEmpty()) {
            return Map.of();
        }
        if (scores.getFirst() instanceof Scoring.Bounds) {
            return Map.of(HeldOutScoring.METRIC, HeldOutScoring.quantiles(finite(scores.stream()
                    .mapToDouble(score -> ((Scoring.Bounds) score).negativeElbo()).toArray(), "negative ELBO")));
        }
        List<Scoring.CodeLikelihood> codes = scores.stream().map(Scoring.CodeLikelihood.class::cast).toList();
        Map<String, List<Double>> quantiles = new LinkedHashMap<>();
        quantiles.put(TOTAL, HeldOutScoring.quantiles(finite(codes.stream().mapToDouble(Scoring.CodeLikelihood::total).toArray(),
                "-log p(codes)")));
        for (String level : codes.getFirst().levels().keySet()) {
            quantiles.put(level, HeldOutScoring.quantiles(finite(codes.stream().mapToDouble(c -> c.levels().get(level)).toArray(),
                    "-log p(" + level + ")")));
        }
        return Map.of(CODES_METRIC, quantiles);
    }

    /**
     * The quantiles of {@code metrics}' {@value #CODES_METRIC} by name ({@value #TOTAL} and each level), when it holds
     * them in the form {@link #metrics} writes; empty otherwise (a version fitted before they were recorded).
     */
    public static Map<String, List<Double>> codeQuantiles(Map<String, Object> metrics) {
        if (!(metrics.get(CODES_METRIC) instanceof Map<?, ?> stored) || !(stored.get(TOTAL) instanceof List<?>)) {
            return Map.of();
        }
        Map<String, List<Double>> quantiles = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : stored.entrySet()) {
            @Nullable List<Double> values = quantileList(entry.getValue());
            if (values == null) {
                return Map.of();
            }
            quantiles.put(String.valueOf(entry.getKey()), values);
        }
        return quantiles;
    }

    /** {@code value} as {@value HeldOutScoring#QUANTILES} numbers, or null when it is not that. */
    public static @Nullable List<Double> quantileList(@Nullable Object value) {
        return value instanceof List<?> list && list.size() == HeldOutScoring.QUANTILES
                && list.stream().allMatch(Number.class::isInstance)
                ? list.stream().map(number -> ((Number) number).doubleValue()).toList() : null;
    }

    private static double[] finite(double[] values, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("test image " + i + " has a non-finite " + what + " (" + values[i] + ")");
            }
        }
        return values;
    }
}
