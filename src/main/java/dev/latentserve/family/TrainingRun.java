package dev.latentserve.family;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.image.ImageData;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.TorchDefaultInit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The setup that every family's training and every prior fit share, around {@link TrainingLoop}: a DJL model holding the
 * block, our checkpointable {@link Adam}, a trainer, initialisation for the input shapes (PyTorch's default
 * initialisation drawn from the spec's seed, then the family's own, such as codebooks), the epoch loop, and saving while
 * the model is still open. The model and trainer are closed when the run returns or fails.
 *
 * <p>A family supplies what differs: the block, its input shapes, an {@link Initialisation} hook, a factory for its
 * {@link TrainingLoop.Steps} and how to {@link Save} the result.
 */
public final class TrainingRun {

    private final String name;
    private final Block block;
    private final TrainingSpec spec;
    private final Shape[] inputShapes;
    private final Initialisation initialisation;

    private TrainingRun(String name, Block block, TrainingSpec spec, Shape[] inputShapes, Initialisation initialisation) {
        this.name = name;
        this.block = block;
        this.spec = spec;
        this.inputShapes = inputShapes.clone();
        this.initialisation = initialisation;
    }

    /**
     * A run that trains {@code block} with the optimiser settings, seed and device of {@code spec}.
     *
     * @param name the DJL model's name
     * @param inputShapes the block's input shapes for a batch of {@code spec.batchSize()}, e.g. (N, C, H, W) images
     */
    public static TrainingRun of(String name, Block block, TrainingSpec spec, Shape... inputShapes) {
        return new TrainingRun(name, block, spec, inputShapes, session -> {
        });
    }

    /**
     * This run with {@code initialisation} applied after PyTorch's default initialisation and before the first step (or
     * before a checkpoint is restored, which then overwrites what it set).
     */
    public TrainingRun initialisedWith(Initialisation initialisation) {
        return new TrainingRun(name, block, spec, inputShapes, initialisation);
    }

    /** The model, trainer and optimiser of a run, for the family's initialisation, steps and saving. */
    public record Session(Model model, Trainer trainer, Adam optimizer) {
    }

    /** The family's own initialisation: codebooks, a k-means start. */
    @FunctionalInterface
    public interface Initialisation {
        void initialise(Session session) throws IOException;
    }

    /** The family's optimiser step and evaluation for a session. */
    @FunctionalInterface
    public interface StepsFactory {
        TrainingLoop.Steps steps(Session session);
    }

    /** Writes the trained parameters, while the model is still open. */
    @FunctionalInterface
    public interface Save {
        void save(Session session) throws IOException;
    }

    /** Saves the model as {@code prefix-0000.params} in {@code dir}. */
    public static Save saveTo(Path dir, String prefix) {
        return session -> session.model().save(dir, prefix);
    }

    /**
     * Trains as the whole of an operation: announces a plan of one phase, {@link Phase#TRAIN} in {@code spec.epochs()}
     * epochs, then runs it.
     */
    public TrainingResult train(ImageData train, ImageData test, TrainingMonitor monitor, Checkpoints checkpoints,
            StepsFactory steps, Save save) throws IOException {
        monitor.onPlan(List.of(new Phase(Phase.TRAIN, "epochs", spec.epochs(), 1)));
        return runPhase(Phase.TRAIN, train, test, monitor, checkpoints, steps, save);
    }

    /**
     * Trains as the phase {@code phase} of a plan the caller has announced: its steps and epochs carry that name.
     *
     * @return the epochs' metrics (those restored from a checkpoint included) and the block's parameter count
     */
    public TrainingResult runPhase(String phase, ImageData train, ImageData test, TrainingMonitor monitor, Checkpoints checkpoints,
            StepsFactory steps, Save save) throws IOException {
        GradMode.disableForTraining();
        try (Model model = Model.newInstance(name, spec.device())) {
            model.setBlock(block);
            Adam adam = new Adam((float) spec.learningRate());
            try (Trainer trainer = DjlModels.newTrainer(model, adam, spec.device())) {
                trainer.initialize(inputShapes);
                TorchDefaultInit.apply(block, spec.seed());
                Session session = new Session(model, trainer, adam);
                initialisation.initialise(session);
                List<EpochMetrics> history = TrainingLoop.run(phase, spec, train, test, monitor, checkpoints, steps.steps(session));
                save.save(session);
                return TrainingResult.of(history, block);
            }
        }
    }
}
