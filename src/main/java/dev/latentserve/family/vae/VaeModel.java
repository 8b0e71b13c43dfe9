package dev.latentserve.family.vae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.GaussianInterpolating;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.Latents;
import dev.latentserve.family.Latents.GaussianPosteriors.Posterior;
import dev.latentserve.family.GaussianScoring;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.ServedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Elbo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A trained VAE held for serving. Every call runs in its own child NDManager that is closed before
 * returning, so nothing native outlives a request. Noise comes from a Java generator seeded per
 * request: the same seed gives the same output whatever else the engine is doing.
 */
final class VaeModel extends ServedModel implements GaussianInterpolating, Scoring {

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

    /**
     * N(0, I) noise for each request's {@code counts[r]} latents from a generator seeded by its own seed, times its
     * scale, one request after another; a scale of 0 draws nothing (zeros). A request's noise is the same whatever
     * batch it shares.
     */
    private float[] noise(int[] counts, long[] seeds, double[] scales) {
        float[] noise = new float[IntStream.of(counts).sum() * latentDimension()];
        for (int r = 0, at = 0; r < counts.length; at += counts[r] * latentDimension(), r++) {
            float scale = (float) scales[r];
            if (scale == 0f) {
                continue;
            }
            float[] own = VaeFamily.gaussian(new SplittableRandom(seeds[r]), counts[r] * latentDimension());
            for (int i = 0; i < own.length; i++) {
                noise[at + i] = own[i] * scale;
            }
        }
        return noise;
    }

    @Override
    public void checkSample(SampleOptions options) {
        if (options.topK() != null) {
            throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.OUT_OF_RANGE,
                    "topK applies to models with an autoregressive prior over codes; a VAE samples z from N(0, I)");
        }
    }

    @Override
    public void checkDecode(Latents input) {
        if (!(input instanceof Latents.GaussianVectors vectors)) {
            throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT,
                    "a VAE decodes latent vectors: send {\"latents\": [[...latentDim floats...]]}");
        }
        List<float[]> latents = vectors.vectors();
        for (int i = 0; i < latents.size(); i++) {
            float[] latent = latents.get(i);
            if (latent == null || latent.length != latentDimension()) {
                throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i
                        + " has " + (latent == null ? 0 : latent.length) + " values; the model has latentDim " + latentDimension());
            }
            for (float v : latent) {
                if (!Float.isFinite(v)) {
                    throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i
                            + " holds " + v + "; every value must be a finite number");
                }
            }
        }
    }

    @Override
    public List<Sampled> sample(List<SampleOptions> requests) {
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int total = IntStream.of(counts).sum();
        float[] noise = noise(counts, requests.stream().mapToLong(SampleOptions::seed).toArray(),
                requests.stream().mapToDouble(SampleOptions::temperature).toArray());
        return run(scope -> {
            NDArray z = scope.create(noise, new Shape(total, latentDimension()));
            List<float[][]> images = slices(rows(Activation.sigmoid(vae.decode(store(scope), z, false)), total), counts);
            List<float[][]> latents = slices(rows(z, total), counts);
            List<Sampled> result = new ArrayList<>(requests.size());
            for (int r = 0; r < requests.size(); r++) {
                result.add(new Sampled(images.get(r), new Latents.GaussianVectors(Arrays.asList(latents.get(r)))));
            }
            return result;
        });
    }

    /** Posterior mean, or a draw from q(z|x) for the requests that ask for one. */
    @Override
    public List<Encoded> encode(List<EncodeCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        int total = IntStream.of(counts).sum();
        float[][] images = concat(requests.stream().map(EncodeCall::images).toList());
        float[] noise = noise(counts, requests.stream().mapToLong(call -> call.options().seed()).toArray(),
                requests.stream().mapToDouble(call -> call.options().sample() ? 1 : 0).toArray());
        boolean[] drawn = new boolean[total];
        for (int r = 0, at = 0; r < counts.length; at += counts[r], r++) {
            Arrays.fill(drawn, at, at + counts[r], requests.get(r).options().sample());
        }
        return run(scope -> {
            NDList posterior = vae.encode(store(scope), batch(scope, images), false);
            NDArray z = Elbo.reparameterize(posterior.get(0), posterior.get(1),
                    scope.create(noise, new Shape(total, latentDimension())));
            float[][] means = rows(posterior.get(0), total);
            float[][] logVariances = rows(posterior.get(1), total);
            float[][] zs = rows(z, total);
            List<Posterior> all = new ArrayList<>(total);
            for (int i = 0; i < total; i++) {
                all.add(new Posterior(means[i], logVariances[i], drawn[i] ? zs[i] : means[i].clone()));
            }
            return slices(all, counts).stream().map(latents -> new Encoded(new Latents.GaussianPosteriors(latents), null)).toList();
        });
    }

    @Override
    public List<float[][]> decode(List<Latents> inputs) {
        int[] counts = inputs.stream().mapToInt(Latents::count).toArray();
        float[][] latents = inputs.stream().flatMap(input -> ((Latents.GaussianVectors) input).vectors().stream())
                .toArray(float[][]::new);
        return run(scope -> {
            NDArray z = scope.create(latents);
            return slices(rows(Activation.sigmoid(vae.decode(store(scope), z, false)), latents.length), counts);
        });
    }

    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        int n = IntStream.of(counts).sum();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        float[] noise = noise(counts, requests.stream().mapToLong(ReconstructCall::seed).toArray(),
                requests.stream().mapToDouble(call -> 1).toArray());
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
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(pixels[i], mses[i], (double) elbos[i], null));
            }
            return slices(all, counts);
        });
    }

    /** Every VAE scores, under the likelihood it was trained with. */
    @Override
    public void checkScore(ScoreOptions options) {
    }

    /** See {@link GaussianScoring}: the negative ELBO and the importance weighted bound, in nats. */
    @Override
    public List<List<Score>> score(List<ScoreCall> requests) {
        return GaussianScoring.score(new GaussianScoring.Model() {
            @Override
            public GaussianScoring.Posteriors posteriors(float[][] images) {
                return run(scope -> {
                    NDList posterior = vae.encode(store(scope), batch(scope, images), false);
                    return new GaussianScoring.Posteriors(rows(posterior.get(0), images.length),
                            rows(posterior.get(1), images.length));
                });
            }

            @Override
            public double[] negativeLogLikelihood(float[][] images, float[][] latents) {
                return run(scope -> {
                    NDArray z = scope.create(latents);
                    float[] nll = vae.reconstructionNll(vae.decode(store(scope), z, false), batch(scope, images)).toFloatArray();
                    return IntStream.range(0, nll.length).mapToDouble(i -> nll[i]).toArray();
                });
            }
        }, requests, shape().size());
    }
}
