package dev.latentserve.family.vq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.Gradients;
import dev.latentserve.nn.Scoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fitting autoregressive priors to the code maps of a vector-quantised model by maximum likelihood, one level at a time.
 *
 * <p>Terms: {@code nll} (nats per code map) and {@code bitsPerCode} per level, prefixed by the level's name where it has
 * one ({@code topNll}, {@code topBitsPerCode}), and {@code skippedSteps} per epoch.
 */
public final class CodePriors {

    public static final String NLL = "nll";
    public static final String BITS_PER_CODE = "bitsPerCode";
    public static final String SKIPPED_STEPS = "skippedSteps";
    /** The phase of fitting the prior of a model's only level, which has no name of its own. */
    public static final String PRIOR = "prior";
    private static final Logger log = LoggerFactory.getLogger(CodePriors.class);

    private CodePriors() {
    }

    /**
     * One level's prior to fit.
     *
     * @param level the {@linkplain CodebookLevel#name() name} of the level whose maps the prior models (empty for a
     *     model's only level)
     * @param block the prior: takes every level's maps (n, h, w) as int64, in level order, and returns the logits
     *     (n, K, h, w) of this level's codes
     * @param checkpoints where this level's fit saves its state and finds it again
     * @param weight the level's expected cost relative to the other levels' (a {@link Phase#weight()})
     * @param save writes the fitted prior's file, while its parameters are still alive
     */
    public record Level(String level, Block block, Checkpoints checkpoints, double weight, TrainingRun.Save save) {
    }

    /** The phase in which {@code level}'s prior is fitted: the level's name, or {@link #PRIOR} for an unnamed level. */
    public static String phase(CodebookLevel level) {
        return level.name().isEmpty() ? PRIOR : level.name();
    }

    /**
     * Announces a plan of one phase per level, in epochs, then fits each level's prior with the optimiser settings of
     * {@code spec}. The levels are fitted one after the other, each with its own model, optimiser and checkpoints:
     * trained together in one graph, the two priors of a VQ-VAE-2 diverged to NaN on Fashion-MNIST codes within one or
     * two epochs in three runs of three (at learning rates 1e-3 and 3e-4), while each alone trained cleanly.
     *
     * @return the levels' results as one ({@link TrainingResult#ofPhases})
     */
    public static TrainingResult fit(TrainingSpec spec, CodeMaps codes, List<Level> levels, TrainingMonitor monitor)
            throws IOException {
        monitor.onPlan(levels.stream()
                .map(level -> new Phase(phase(codes.levels().get(codes.indexOf(level.level()))), "epochs", spec.epochs(),
                        level.weight()))
                .toList());
        TrainingSpec priorSpec = new TrainingSpec(codes.train().shape(), spec.architecture(), spec.epochs(), spec.batchSize(),
                spec.learningRate(), spec.seed(), spec.device());
        List<TrainingResult> results = new ArrayList<>(levels.size());
        for (Level prior : levels) {
            int map = codes.indexOf(prior.level());
            CodebookLevel level = codes.levels().get(map);
            String phase = phase(level);
            results.add(TrainingRun.of(phase, prior.block(), priorSpec, codes.shapes(spec.batchSize()))
                    .runPhase(phase, codes.train(), codes.test(), monitor, prior.checkpoints(),
                            session -> new PriorSteps(priorSpec, codes, map, level, prior, session, new int[1]), prior.save()));
        }
        return TrainingResult.ofPhases(results);
    }

    /** Maximum likelihood of one level's maps: in each step, the mean NLL per code. */
    private record PriorSteps(TrainingSpec spec, CodeMaps codes, int map, CodebookLevel level, Level prior,
            TrainingRun.Session session, int[] skipped) implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return prior.block();
        }

        @Override
        public Adam optimizer() {
            return session.optimizer();
        }

        @Override
        public Map<String, Double> step(float[] packed, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            Trainer trainer = session.trainer();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDList maps = codes.unpack(scope.create(packed, new Shape(n, codes.cells())).toType(DataType.INT64, false));
                double sum;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(maps).singletonOrThrow();
                    NDArray nll = GatedPixelCnn.negativeLogLikelihood(logits, maps.get(map)).sum();
                    NDArray mean = nll.div(Scoped.scalar(nll, (double) n * level.cells()));
                    sum = nll.getFloat();
                    collector.backward(mean);
                    context.checkFinite(sum / n, spec.learningRate());
                }
                List<String> nonFinite = Gradients.nonFinite(block().getParameters(), scope);
                if (nonFinite.isEmpty()) {
                    trainer.step();
                } else {
                    // A rare non-finite gradient (seen on the top prior after hundreds of clean steps) would turn every
                    // parameter it reaches into NaN through Adam; drop this step's gradients instead, as loss-scaling
                    // trainers do, and count it. Backpropagation runs from the output, so the last parameters named are
                    // nearest to where the non-finite value arose.
                    skipped[0]++;
                    log.warn("{} prior step skipped: NLL {} per map, non-finite gradients in {} of {} parameters, last {}",
                            phase(level), sum / n, nonFinite.size(), block().getParameters().size(),
                            nonFinite.subList(Math.max(0, nonFinite.size() - 8), nonFinite.size()));
                    Gradients.clear(block().getParameters());
                }
                // For an unnamed level both names are nll: one entry.
                Map<String, Double> terms = new LinkedHashMap<>();
                terms.put(level.term(NLL), sum);
                terms.put(NLL, sum);
                return terms;
            }
        }

        @Override
        public Map<String, Double> epochStatistics() {
            double count = skipped[0];
            skipped[0] = 0;
            return Map.of(SKIPPED_STEPS, count);
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            double[] total = new double[1];
            TrainingLoop.forEachBatch(session.model().getNDManager(), data, TrainingLoop.identity(data.count()), data.count(),
                    CodebookObjective.EVALUATION_BATCH, (scope, packed, from, to) -> {
                        NDList maps = codes.unpack(packed.reshape(to - from, -1).toType(DataType.INT64, false));
                        NDArray logits = block().forward(new ParameterStore(scope, false), maps, false).singletonOrThrow();
                        total[0] += GatedPixelCnn.negativeLogLikelihood(logits, maps.get(map)).sum().getFloat();
                    });
            double perMap = total[0] / data.count();
            Map<String, Double> terms = new LinkedHashMap<>();
            terms.put(NLL, perMap);
            terms.put(level.term(NLL), perMap);
            terms.put(level.term(BITS_PER_CODE), perMap / (level.cells() * Math.log(2)));
            return terms;
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.getOrDefault(NLL, 0.0);
        }
    }
}
