package dev.latentserve.family.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.torchscript.Descriptor.EncoderOutput;
import dev.latentserve.family.torchscript.TorchScriptModule.CallFailedException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The answers of an imported version's modules for a batch of n, checked against the shapes its descriptor declares and
 * named. Shapes are checked on every call, not only when the version is imported: a module may answer other shapes for
 * other inputs.
 */
final class Answers {

    static final String ENCODER = "encoder.pt";
    static final String DECODER = "decoder.pt";

    private Answers() {
    }

    /**
     * A VAE encoder's posterior over the latents of n images, in the model's own (unscaled) space.
     *
     * @return the mean and the log-variance, (n, *latentShape) each
     * @throws ShapeException when the answer is not of the form {@code encoderOutput} declares
     */
    static NDList posterior(Descriptor descriptor, List<NDArray> answer, int n) {
        Shape latent = batch(n, descriptor.latentShape());
        if (descriptor.encoderOutput() == EncoderOutput.MEAN_LOGVAR) {
            if (answer.size() != 2) {
                throw new ShapeException(ENCODER + " answers " + describe(answer) + " for a batch of " + n
                        + "; encoderOutput \"mean-logvar\" needs a tuple (mean, logvar) of " + latent + " each", false);
            }
            expect(ENCODER + " answers mean", answer.get(0), latent, "latentShape " + descriptor.latentShape(), n);
            expect(ENCODER + " answers logvar", answer.get(1), latent, "latentShape " + descriptor.latentShape(), n);
            return new NDList(answer.get(0), answer.get(1));
        }
        List<Integer> shape = descriptor.latentShape();
        Shape moments = new Shape(n, 2L * shape.get(0), shape.get(1), shape.get(2));
        if (answer.size() != 1) {
            throw new ShapeException(ENCODER + " answers " + describe(answer) + " for a batch of " + n
                    + "; encoderOutput \"moments\" needs one tensor " + moments + ", mean and logvar concatenated on dimension 1",
                    false);
        }
        expect(ENCODER + " answers", answer.getFirst(), moments, "encoderOutput \"moments\" with latentShape " + shape, n);
        return answer.getFirst().split(2, 1);
    }

    /**
     * A VQ-VAE encoder's outputs z_e for n images.
     *
     * @return z_e (n, D, h, w)
     * @throws ShapeException when the answer is not one tensor of that shape
     */
    static NDArray encoderOutputs(Descriptor descriptor, int codeDim, List<NDArray> answer, int n) {
        List<Integer> grid = descriptor.latentShape();
        Shape expected = new Shape(n, codeDim, grid.get(0), grid.get(1));
        if (answer.size() != 1) {
            throw new ShapeException(ENCODER + " answers " + describe(answer) + " for a batch of " + n + "; a vqvae encoder "
                    + "answers one tensor z_e " + expected, false);
        }
        expect(ENCODER + " answers z_e", answer.getFirst(), expected, "codebook.npy's D = " + codeDim + " with latentShape " + grid,
                n);
        return answer.getFirst();
    }

    /**
     * A decoder's answer for n latents.
     *
     * @return (n, C, H, W), in the space of the descriptor's {@code decoderOutput}
     * @throws ShapeException when the answer is not one tensor of the version's image shape
     */
    static NDArray decoded(Descriptor descriptor, List<NDArray> answer, int n) {
        var image = descriptor.inputShape();
        Shape expected = new Shape(n, image.channels(), image.height(), image.width());
        if (answer.size() != 1) {
            throw new ShapeException(DECODER + " answers " + describe(answer) + " for a batch of " + n + "; it must answer one "
                    + "tensor " + expected, false);
        }
        expect(DECODER + " answers", answer.getFirst(), expected, "inputShape " + image, n);
        return answer.getFirst();
    }

    /** (n, *shape). */
    static Shape batch(long n, List<Integer> shape) {
        long[] dims = new long[shape.size() + 1];
        dims[0] = n;
        for (int i = 0; i < shape.size(); i++) {
            dims[i + 1] = shape.get(i);
        }
        return new Shape(dims);
    }

    private static void expect(String what, NDArray array, Shape expected, String because, int n) {
        Shape shape = array.getShape();
        if (!shape.equals(expected)) {
            boolean batchOnly = shape.dimension() == expected.dimension() && shape.dimension() > 0 && shape.get(0) != n
                    && shape.slice(1).equals(expected.slice(1));
            throw new ShapeException(what + " " + shape + " for a batch of " + n + "; " + because + " needs " + expected, batchOnly);
        }
    }

    private static String describe(List<NDArray> answer) {
        String shapes = answer.stream().map(a -> a.getShape().toString()).collect(Collectors.joining(", "));
        return answer.size() == 1 ? "one tensor " + shapes : "a tuple of " + answer.size() + " tensors " + shapes;
    }

    /**
     * An answer of another shape than the descriptor declares.
     *
     * @param batchOnly only the batch dimension is wrong: the module answered for another batch size than it was given
     */
    static final class ShapeException extends CallFailedException {

        private final boolean batchOnly;

        ShapeException(String message, boolean batchOnly) {
            super(message);
            this.batchOnly = batchOnly;
        }

        boolean batchOnly() {
            return batchOnly;
        }
    }
}
