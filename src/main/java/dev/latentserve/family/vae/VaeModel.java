package dev.latentserve.family.vae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.ServedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Elbo;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A trained VAE held for serving. Every call runs in its own child NDManager that is closed before
 * returning, so nothing native outlives a request. Noise comes from a Java generator seeded per
 * request: the same seed gives the same output whatever else the engine is doing.
 */
final class VaeModel extends ServedModel {

    private final ConvVae vae;

    VaeModel(Model model, ConvVae vae) {
        super(model);
        this.vae = vae;
    }

    @Override
    public ImageShape shape() {
        return vae.imageShape();
    }

    private int latentDimension() {
        return vae.architecture().latentDim();
    }

    @Override
    public Sampled sample(SampleOptions options) {
        if (options.topK() != null) {
            throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.OUT_OF_RANGE,
                    "topK applies to models with an autoregressive prior over codes; a VAE samples z from N(0, I)");
        }
        int count = options.count();
        float[] noise = VaeFamily.gaussian(new SplittableRandom(options.seed()), count * latentDimension());
        for (int i = 0; i < noise.length; i++) {
            noise[i] *= (float) options.temperature();
        }
        return run(scope -> {
            NDArray z = scope.create(noise, new Shape(count, latentDimension()));
            float[][] images = rows(Activation.sigmoid(vae.decode(store(scope), z, false)), count);
            return new Sampled(images, rows(z, count), null);
        });
    }

    @Override
    public Encoded encode(float[][] images, EncodeOptions options) {
        int n = images.length;
        boolean sample = options.sample();
        float[] noise = VaeFamily.gaussian(new SplittableRandom(options.seed()), n * latentDimension());
        return run(scope -> {
            NDList posterior = vae.encode(store(scope), batch(scope, images), false);
            NDArray z = sample
                    ? Elbo.reparameterize(posterior.get(0), posterior.get(1), scope.create(noise, new Shape(n, latentDimension())))
                    : posterior.get(0);
            float[][] means = rows(posterior.get(0), n);
            float[][] logVariances = rows(posterior.get(1), n);
            float[][] zs = rows(z, n);
            List<LatentEncoding> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(new LatentEncoding(means[i], logVariances[i], zs[i]));
            }
            return new Encoded(result, null, null);
        });
    }

    @Override
    public float[][] decode(DecodeInput input) {
        if (input.latents() == null) {
            throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT,
                    "a VAE decodes latent vectors: send {\"latents\": [[...latentDim floats...]]}");
        }
        float[][] latents = input.latents().toArray(float[][]::new);
        for (int i = 0; i < latents.length; i++) {
            if (latents[i] == null || latents[i].length != latentDimension()) {
                throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i
                        + " has " + (latents[i] == null ? 0 : latents[i].length) + " values; the model has latentDim "
                        + latentDimension());
            }
            for (float v : latents[i]) {
                if (!Float.isFinite(v)) {
                    throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i
                            + " holds " + v + "; every value must be a finite number");
                }
            }
        }
        return run(scope -> {
            NDArray z = scope.create(latents);
            return rows(Activation.sigmoid(vae.decode(store(scope), z, false)), latents.length);
        });
    }

    @Override
    public List<Reconstruction> reconstruct(float[][] images, long seed) {
        int n = images.length;
        float[] noise = VaeFamily.gaussian(new SplittableRandom(seed), n * latentDimension());
        return run(scope -> {
            ParameterStore store = store(scope);
            NDArray x = batch(scope, images);
            NDList posterior = vae.encode(store, x, false);
            NDArray mean = posterior.get(0);
            NDArray logVariance = posterior.get(1);
            NDArray reconstruction = Activation.sigmoid(vae.decode(store, mean, false));
            NDArray mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1});
            NDArray z = Elbo.reparameterize(mean, logVariance, scope.create(noise, new Shape(n, latentDimension())));
            NDArray negativeElbo = vae.reconstructionNll(vae.decode(store, z, false), x)
                    .add(Elbo.klToStandardNormal(mean, logVariance));
            float[][] pixels = rows(reconstruction, n);
            float[] mses = mse.toFloatArray();
            float[] elbos = negativeElbo.toFloatArray();
            List<Reconstruction> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(new Reconstruction(pixels[i], mses[i], (double) elbos[i], null));
            }
            return result;
        });
    }

}
