package dev.latentserve.family.vq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.image.ImageData;
import dev.latentserve.nn.CodeHistogram;
import dev.latentserve.nn.Scoped;
import dev.latentserve.nn.VectorQuantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training objective of a vector-quantised autoencoder with any number of levels of codes (van den Oord et al.
 * 2017, equation 3; Razavi et al. 2019 for two levels): reconstruction MSE + beta x the levels' commitment losses, plus
 * each level's codebook loss where the codebook is learnt by gradient rather than by EMA. After each optimiser step every
 * level's codebook takes its EMA step (or tracks its usage) and restarts its dead codes; each level reports its batch
 * perplexity and used codes, and the restarts are counted per epoch.
 *
 * <p>Terms are named {@code mse}, {@code commitment}, {@code deadCodeRestarts} and, per level, {@code perplexity} and
 * {@code usedCodes} (prefixed by the level's name where it has one: {@code topPerplexity}).
 */
public final class CodebookObjective {

    public static final String MSE = "mse";
    public static final String COMMITMENT = "commitment";
    public static final String PERPLEXITY = "perplexity";
    public static final String USED_CODES = "usedCodes";
    public static final String DEAD_CODE_RESTARTS = "deadCodeRestarts";
    /** Images per forward pass when a whole dataset is evaluated or encoded. */
    static final int EVALUATION_BATCH = 500;

    private final List<CodebookLevel> levels;
    private final Settings settings;
    private int restarts;

    /**
     * @param beta the commitment weight
     * @param decay the EMA decay gamma of code counts and sums
     * @param epsilon the Laplace smoothing of the EMA counts
     * @param deadCodeThreshold a code whose EMA count per batch falls below it is restarted
     */
    public record Settings(double beta, double decay, double epsilon, double deadCodeThreshold) {
    }

    /**
     * The objective's differentiable parts for one batch, each a scalar array.
     *
     * @param total what the gradient is taken of: {@code mse + beta x commitment (+ codebook losses)}
     * @param mse mean squared pixel error of the reconstruction
     * @param commitment the levels' commitment losses added up
     */
    public record Loss(NDArray total, NDArray mse, NDArray commitment) {
    }

    public CodebookObjective(List<CodebookLevel> levels, Settings settings) {
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("a vector-quantised model has at least one level of codes");
        }
        this.levels = List.copyOf(levels);
        this.settings = settings;
    }

    /** The objective for {@code net}'s levels. */
    public static CodebookObjective of(QuantizedAutoencoder net, Settings settings) {
        return new CodebookObjective(net.levels(), settings);
    }

    /** The loss of reconstructing {@code images} (N, C, H, W) as {@code output} did, for the gradient. */
    public Loss loss(NDArray images, QuantizedAutoencoder.Output output) {
        NDArray mse = output.reconstruction().sub(images).square().mean();
        NDArray commitment = commitment(output);
        NDArray total = mse.add(commitment.mul(Scoped.scalar(commitment, settings.beta())));
        for (int i = 0; i < levels.size(); i++) {
            if (!levels.get(i).quantizer().isEma()) {
                total = total.add(output.levels().get(i).codebookLoss());
            }
        }
        return new Loss(total, mse, commitment);
    }

    /** {@code mse + beta x commitment}: the loss reported per image, from its two parts. */
    public double weighted(double mse, double commitment) {
        return mse + settings.beta() * commitment;
    }

    /** The loss reported per image, from per-image terms. */
    public double total(Map<String, Double> perImage) {
        return weighted(perImage.getOrDefault(MSE, 0.0), perImage.getOrDefault(COMMITMENT, 0.0));
    }

    /**
     * What follows the optimiser step: each level in turn takes its codebook step and restarts its dead codes at encoder
     * outputs drawn from {@code noise}.
     *
     * @param mse the batch's mean squared error, per pixel
     * @param commitment the batch's commitment loss
     * @param n images in the batch
     * @return the batch's terms, each summed over its images
     */
    public Map<String, Double> afterStep(QuantizedAutoencoder.Output output, double mse, double commitment, int n,
            SplittableRandom noise) {
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put(MSE, mse * n);
        terms.put(COMMITMENT, commitment * n);
        for (int i = 0; i < levels.size(); i++) {
            CodebookLevel level = levels.get(i);
            VectorQuantizer.Output quantized = output.levels().get(i);
            NDArray oneHot = quantized.oneHot();
            restarts += level.quantizer().update(quantized.encoderOutput(), oneHot, (float) settings.decay(),
                    (float) settings.epsilon(), (float) settings.deadCodeThreshold(), noise);
            terms.put(level.term(PERPLEXITY), VectorQuantizer.perplexity(oneHot) * n);
            terms.put(level.term(USED_CODES), (double) VectorQuantizer.usedCodes(oneHot) * n);
        }
        return terms;
    }

    /** The dead codes restarted, over all levels, since the last call: once per epoch. */
    public Map<String, Double> epochStatistics() {
        double restarted = restarts;
        restarts = 0;
        return Map.of(DEAD_CODE_RESTARTS, restarted);
    }

    /**
     * Held-out reconstruction MSE and commitment per image, and each level's perplexity and number of used codes over
     * the code histogram of the whole set.
     *
     * @param parent the manager under which each batch's scope is opened and closed
     */
    public Map<String, Double> evaluate(NDManager parent, QuantizedAutoencoder net, ImageData data) {
        double[] sums = new double[2];
        List<CodeHistogram> histograms = new ArrayList<>();
        for (CodebookLevel level : levels) {
            histograms.add(new CodeHistogram(level.quantizer().codes()));
        }
        TrainingLoop.forEachBatch(parent, data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    int n = to - from;
                    QuantizedAutoencoder.Output output = net.output(net.forward(new ParameterStore(scope, false), new NDList(images),
                            false));
                    sums[0] += output.reconstruction().sub(images).square().mean().getFloat() * n;
                    sums[1] += commitment(output).getFloat() * n;
                    for (int i = 0; i < levels.size(); i++) {
                        histograms.get(i).add(output.levels().get(i).oneHot());
                    }
                });
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put(MSE, sums[0] / data.count());
        terms.put(COMMITMENT, sums[1] / data.count());
        for (int i = 0; i < levels.size(); i++) {
            terms.put(levels.get(i).term(PERPLEXITY), histograms.get(i).perplexity());
            terms.put(levels.get(i).term(USED_CODES), (double) histograms.get(i).used());
        }
        return terms;
    }

    /** The levels' commitment losses added up, in level order. */
    private static NDArray commitment(QuantizedAutoencoder.Output output) {
        List<VectorQuantizer.Output> quantized = output.levels();
        NDArray sum = quantized.getFirst().commitment();
        for (VectorQuantizer.Output level : quantized.subList(1, quantized.size())) {
            sum = sum.add(level.commitment());
        }
        return sum;
    }
}
