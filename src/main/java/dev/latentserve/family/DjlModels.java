package dev.latentserve.family;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.ParameterSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Creating DJL trainers and loading DJL models the way every family does. */
public final class DjlModels {

    private DjlModels() {
    }

    /** A trainer with our checkpointable Adam on {@code device}; its DJL loss is unused, our steps compute their own. */
    public static Trainer newTrainer(Model model, Adam adam, Device device) {
        return model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optDevices(new Device[] {device}).optOptimizer(adam));
    }

    /**
     * Saves the values of {@code source} as {@code prefix-0000.params} in {@code dir} through {@code twin}, a fresh block
     * of the same structure initialised for {@code inputShapes}: DJL cannot save a block that was loaded rather than
     * initialised (its input description is incomplete), nor a child block on its own.
     */
    public static void saveCopy(String name, Block source, Block twin, Device device, Path dir, String prefix, Shape... inputShapes)
            throws IOException {
        try (Model fresh = Model.newInstance(name, device)) {
            fresh.setBlock(twin);
            twin.initialize(fresh.getNDManager(), DataType.FLOAT32, inputShapes);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ParameterSnapshot.write(source, new DataOutputStream(bytes));
            ParameterSnapshot.read(twin, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            fresh.save(dir, prefix);
        }
    }

    /** Copies the saved parameters {@code prefix-0000.params} of one model version's folder into another's. */
    public static void copySaved(String prefix, Path fromDir, Path toDir) throws IOException {
        String file = prefix + "-0000.params";
        Files.copy(fromDir.resolve(file), toDir.resolve(file));
    }

    /**
     * Loads the parameters {@code prefix-NNNN.params} in {@code dir} into {@code block}; the caller closes the model.
     *
     * @throws IOException naming {@code what} when the files are missing or do not fit the block
     */
    public static Model load(String name, Block block, Path dir, String prefix, Device device, String what) throws IOException {
        Model model = Model.newInstance(name, device);
        try {
            model.setBlock(block);
            model.load(dir, prefix);
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException("cannot load " + what + " from " + dir + ": " + e.getMessage(), e);
        }
    }
}
