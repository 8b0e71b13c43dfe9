package dev.latentserve.family.vq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.VectorQuantizer;
import java.util.List;

/**
 * A vector-quantised autoencoder as the shared code trains, evaluates and encodes it: a block whose forward pass takes
 * images (N, C, H, W) and returns an {@link NDList} (as DJL requires) that {@link #output} names, with one or more
 * {@linkplain #levels() levels} of codes.
 */
public interface QuantizedAutoencoder extends Block {

    /** The shape of the images the model takes. */
    ImageShape imageShape();

    /** The model's levels of codes, in the order of {@link Output#levels()} and {@link #encodeCodes}. */
    List<CodebookLevel> levels();

    /** Names the arrays that {@link #forward} returned. */
    Output output(NDList forward);

    /** Each level's codes (N, h, w) as int64, without building the rest of the forward pass or a graph. */
    List<NDArray> encodeCodes(ParameterStore store, NDArray images);

    /** A forward pass's outputs by name. */
    interface Output {

        /** The reconstruction (N, C, H, W), unclamped. */
        NDArray reconstruction();

        /** Each level's quantiser outputs, in the order of {@link QuantizedAutoencoder#levels()}. */
        List<VectorQuantizer.Output> levels();
    }
}
