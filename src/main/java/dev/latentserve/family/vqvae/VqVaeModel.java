package dev.latentserve.family.vqvae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.vq.CodeGridModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A trained VQ-VAE held for serving: images to code grids and back ({@link CodeGridModel}), with the DJL encoder and
 * decoder of {@link VqVae}, and the likelihood of an image's codes under the prior. Decoded images are clamped to
 * [0, 1].
 */
final class VqVaeModel extends CodeGridModel implements Scoring {

    private final VqVae net;

    /** @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass */
    VqVaeModel(Model model, VqVae net, @Nullable Model prior, boolean incremental) {
        super(net.quantizer(), prior, incremental, net.architecture().gridHeight(net.imageShape()),
                net.architecture().gridWidth(net.imageShape()), model, prior);
        this.net = net;
    }

    @Override
    public ImageShape shape() {
        return net.imageShape();
    }

    @Override
    protected NDArray encoderOutputs(NDManager scope, NDArray pixels, int n) {
        return net.encode(store(scope), pixels, false);
    }

    @Override
    protected NDArray decodeToPixels(NDManager scope, NDArray quantized, int n) {
        return net.decode(store(scope), quantized, false).clip(0, 1);
    }

    /** 2^downsamplings: the encoder's stride. */
    @Override
    protected int footprint() {
        return shape().height() / gridHeight;
    }

    /** Scores need the prior over the codes, as sampling does. */
    @Override
    public void checkScore(ScoreOptions options) {
        if (prior() == null) {
            throw new NoPriorException("this VQ-VAE has no prior over its " + gridHeight + "x" + gridWidth + " code grids to "
                    + "score images with; fit one with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", "
                    + "\"dataset\": \"<id>\"}, which publishes a new version with the prior");
        }
    }

    /**
     * {@code -log p(codes)} of each image's code grid under the prior, all positions in one teacher-forced pass (the
     * prior's masked convolutions see only the codes before each position), and the reconstruction's MSE. Deterministic:
     * the seed, L and k do not apply.
     */
    @Override
    public List<List<Score>> score(List<ScoreCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ScoreCall::images).toList());
        int n = images.length;
        GatedPixelCnn block = (GatedPixelCnn) prior().getBlock();
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = quantizer().encode(encoderOutputs(scope, x, n)).toType(DataType.INT64, false)
                    .reshape(n, gridHeight, gridWidth);
            NDArray reconstruction = decodeToPixels(scope, quantizer().lookup(codes), n);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            NDArray logits = block.forward(store(scope), new NDList(codes), false).singletonOrThrow();
            float[] nll = GatedPixelCnn.negativeLogLikelihood(logits, codes).toFloatArray();
            List<Score> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new CodeLikelihood(Map.of(LEVEL, (double) nll[i]), nll[i], mse[i]));
            }
            return slices(all, counts);
        });
    }
}
