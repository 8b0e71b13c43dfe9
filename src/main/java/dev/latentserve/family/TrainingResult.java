package dev.latentserve.family;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished training run.
 *
 * @param history every epoch's metrics, in the order they ran (for a run of several phases, each phase's epochs)
 * @param parameterCount parameters of the trained blocks, trainable or not
 * @param last the model's final quality: the last epoch, or for a run of several phases their last epochs added up
 */
public record TrainingResult(List<EpochMetrics> history, long parameterCount, EpochMetrics last) {

    /** A run of one phase, whose final quality is its last epoch. */
    public TrainingResult(List<EpochMetrics> history, long parameterCount) {
        this(history, parameterCount, history.getLast());
    }

    /** The result of training {@code block} for {@code history}, with its number of parameters. */
    public static TrainingResult of(List<EpochMetrics> history, Block block) {
        return new TrainingResult(history, block.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum(),
                history.getLast());
    }

    /**
     * The results of phases that trained separate blocks (the priors of several levels) as one: their histories one after
     * the other, their parameters added up, and as the final quality the sum of their last epochs' losses and terms, with
     * the throughput of doing one image through every phase.
     */
    public static TrainingResult ofPhases(List<TrainingResult> phases) {
        if (phases.size() == 1) {
            return phases.getFirst();
        }
        List<EpochMetrics> history = new ArrayList<>();
        double trainLoss = 0;
        double testLoss = 0;
        double seconds = 0;
        Map<String, Double> trainTerms = new LinkedHashMap<>();
        Map<String, Double> testTerms = new LinkedHashMap<>();
        for (TrainingResult phase : phases) {
            history.addAll(phase.history());
            EpochMetrics last = phase.last();
            trainLoss += last.trainLoss();
            testLoss += last.testLoss();
            seconds += 1 / last.imagesPerSecond();
            last.trainTerms().forEach((name, value) -> trainTerms.merge(name, value, Double::sum));
            last.testTerms().forEach((name, value) -> testTerms.merge(name, value, Double::sum));
        }
        EpochMetrics summed = new EpochMetrics(phases.getLast().last().epoch(), trainLoss, testLoss, trainTerms, testTerms,
                1 / seconds);
        return new TrainingResult(List.copyOf(history), phases.stream().mapToLong(TrainingResult::parameterCount).sum(), summed);
    }
}
