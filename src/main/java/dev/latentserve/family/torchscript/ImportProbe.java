package dev.latentserve.family.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.latentserve.family.InvalidImportException;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.torchscript.Answers.ShapeException;
import dev.latentserve.family.torchscript.Descriptor.Kind;
import dev.latentserve.family.torchscript.TorchScriptModule.CallFailedException;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.VectorQuantizer;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Runs an imported version's modules on probe batches before it is published: fixed random pixels (seeded, uniform in
 * [0, 1]) through the encoder, and the encoder's latents (a VQ-VAE's quantised) through the decoder, at batch sizes 1, 2
 * and {@value #ROWS}, then each of the {@value #ROWS} rows alone.
 *
 * <p>Every answer must have the shapes the descriptor declares and finite numbers, and row i of the batch of
 * {@value #ROWS} must equal the answer for row i alone (within {@value #TOLERANCE}, absolute and relative): dynamic
 * batching runs one caller's images in a batch with others'. A module traced with {@code torch.jit.trace} whose batch
 * size was baked in (through {@code int(x.shape[0])}, a reshape to a literal size, a constant of the example's size)
 * fails these checks, and is refused with a message saying to trace with a dynamic batch.
 */
final class ImportProbe {

    static final int ROWS = 7;
    static final double TOLERANCE = 1e-4;
    private static final int[] BATCHES = {1, 2, ROWS};
    private static final long SEED = 0;
    private static final String DYNAMIC_BATCH = "; the batch size looks fixed in the trace: trace with a dynamic batch "
            + "(keep x.shape[0] symbolic: no int(x.shape[0]), no reshape or constant of the example's batch size) or use "
            + "torch.jit.script, and export in eval mode";

    private ImportProbe() {
    }

    /**
     * Probes the encoder and the decoder.
     *
     * @param quantizer a VQ-VAE's codebook; null for a VAE
     * @throws InvalidImportException saying which module answered what, for which batch size, against what was expected
     */
    static void check(Descriptor descriptor, TorchScriptModule encoder, TorchScriptModule decoder, @Nullable VectorQuantizer quantizer,
            NDManager scope) {
        PixelSpace pixels = new PixelSpace(descriptor);
        NDArray images = scope.create(probeImages(descriptor.inputShape()), TrainingLoop.imageBatch(ROWS, descriptor.inputShape()));
        NDList latents = probe(encoder, (from, to) -> {
            List<NDArray> answer = encoder.forward(scope, pixels.normalise(rows(images, from, to)));
            return descriptor.kind() == Kind.VAE ? Answers.posterior(descriptor, answer, to - from)
                    : new NDList(Answers.encoderOutputs(descriptor, quantizer.dimension(), answer, to - from));
        });
        NDArray decoderInput = descriptor.kind() == Kind.VAE ? latents.get(0) : quantizer.lookup(quantizer.encode(latents.get(0)));
        probe(decoder, (from, to) -> new NDList(Answers.decoded(descriptor, decoder.forward(scope, rows(decoderInput, from, to)), to - from)));
    }

    /** One module's answers for rows [from, to) of the probe input, checked and named. */
    @FunctionalInterface
    private interface Call {
        NDList rows(int from, int to);
    }

    /** The module's answers for every batch size, then for each row alone against its row of the full batch. */
    private static NDList probe(TorchScriptModule module, Call call) {
        NDList full = null;
        String failure = null;
        boolean succeeded = false;
        boolean batchOnly = false;
        for (int size : BATCHES) {
            try {
                NDList answer = call.rows(0, size);
                checkFinite(module, answer, size);
                full = answer;
                succeeded = true;
            } catch (CallFailedException e) {
                if (failure == null) {
                    failure = e.getMessage();
                }
                batchOnly |= e instanceof ShapeException shape && shape.batchOnly();
            }
        }
        if (failure != null) {
            // A module that answers for another batch size than it was given, or fails at one batch size and not at
            // another, has its batch size fixed.
            throw new InvalidImportException(failure + (succeeded || batchOnly ? DYNAMIC_BATCH : ""));
        }
        for (int row = 0; row < ROWS; row++) {
            NDList alone;
            try {
                alone = call.rows(row, row + 1);
            } catch (CallFailedException e) {
                throw new InvalidImportException(e.getMessage() + DYNAMIC_BATCH);
            }
            for (int i = 0; i < alone.size(); i++) {
                NDArray together = rows(full.get(i), row, row + 1);
                double difference = alone.get(i).sub(together).abs().max().getFloat();
                double bound = TOLERANCE + TOLERANCE * together.abs().max().getFloat();
                if (!(difference <= bound)) {
                    throw new InvalidImportException(module.file() + " answers image " + row + " of a batch of " + ROWS
                            + " differently from the same image alone (by up to " + (float) difference + ", tolerance "
                            + (float) bound + "): each image's answer must not depend on the others in its batch; export "
                            + "in eval mode (no batch statistics, such as BatchNorm's in training mode) and trace with a dynamic "
                            + "batch (keep x.shape[0] symbolic) or use torch.jit.script");
                }
            }
        }
        return full;
    }

    private static void checkFinite(TorchScriptModule module, NDList answer, int size) {
        for (NDArray array : answer) {
            if (!array.isInfinite().logicalOr(array.isNaN()).any().getBoolean()) {
                continue;
            }
            String kind = array.isNaN().any().getBoolean() ? "NaN" : "infinite numbers";
            throw new InvalidImportException(module.file() + " answers " + kind + " for a probe batch of " + size + " "
                    + (module.file().equals(Answers.DECODER) ? "(the encoder's latents of random images)" : "(random images)")
                    + "; a module whose weights went to NaN in training, or that overflows, cannot be served");
        }
    }

    private static NDArray rows(NDArray array, int from, int to) {
        return array.get(new NDIndex("{}:{}", from, to));
    }

    /** {@value #ROWS} images of fixed random pixels, uniform in [0, 1]. */
    private static float[] probeImages(ImageShape shape) {
        SplittableRandom random = new SplittableRandom(SEED);
        float[] pixels = new float[ROWS * shape.size()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble();
        }
        return pixels;
    }
}
