package dev.latentserve.family.vq;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.nn.Adam;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training step of a vector-quantised autoencoder under {@link CodebookObjective}: gradients for encoders and
 * decoders (and codebooks learnt by gradient), the optimiser step, then the codebooks' EMA updates and dead-code restarts.
 */
public record QuantizedSteps(TrainingSpec spec, QuantizedAutoencoder net, CodebookObjective objective, TrainingRun.Session session)
        implements TrainingLoop.Steps {

    @Override
    public Block block() {
        return net;
    }

    @Override
    public Adam optimizer() {
        return session.optimizer();
    }

    @Override
    public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
        Trainer trainer = session.trainer();
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray images = scope.create(pixels, imageBatch(n, net.imageShape()));
            QuantizedAutoencoder.Output output;
            CodebookObjective.Loss loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                output = net.output(trainer.forward(new NDList(images)));
                loss = objective.loss(images, output);
                collector.backward(loss.total());
            }
            double mse = loss.mse().getFloat();
            double commitment = loss.commitment().getFloat();
            context.checkFinite(objective.weighted(mse, commitment), spec.learningRate());
            trainer.step();
            return objective.afterStep(output, mse, commitment, n, noise);
        }
    }

    @Override
    public Map<String, Double> evaluate(ImageData data, long seed) {
        return objective.evaluate(session.model().getNDManager(), net, data);
    }

    @Override
    public double total(Map<String, Double> perImage) {
        return objective.total(perImage);
    }

    @Override
    public Map<String, Double> epochStatistics() {
        return objective.epochStatistics();
    }
}
