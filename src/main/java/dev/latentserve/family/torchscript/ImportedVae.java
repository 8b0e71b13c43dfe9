package dev.latentserve.family.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.latentserve.family.GaussianInterpolating;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.Latents;
import dev.latentserve.family.Latents.GaussianPosteriors.Posterior;
import dev.latentserve.family.GaussianScoring;
import dev.latentserve.family.NotScorableException;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.ServedModel;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.torchscript.Descriptor.Likelihood;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Elbo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * An imported VAE held for serving: TorchScript encoder and decoder around a Gaussian latent of the descriptor's
 * {@code latentShape}, a vector [d] or a map [c, h, w].
 *
 * <p>Callers see the latent scaled as the descriptor says, z_s = (z - shift) * scale, where z is the model's own latent:
 * the encoder's mean becomes (mean - shift) * scale and its log-variance logvar + 2 ln(scale); decoding maps z_s back to
 * z = z_s / scale + shift; sampling draws z_s from N(0, temperature^2 I). The negative ELBO of a reconstruction is that of
 * the model: one z drawn from q(z|x), {@code -log p(x|z)} under the descriptor's likelihood, plus KL(q(z|x) || N(0, I))
 * in the model's space; without a likelihood there is none.
 *
 * <p>Every call merges its requests into one engine batch; each request's noise comes from a generator seeded by its own
 * seed, so its answer is the one it gets alone.
 */
final class ImportedVae extends ServedModel implements GaussianInterpolating, Scoring {

    private final Descriptor descriptor;
    private final TorchScriptModule encoder;
    private final TorchScriptModule decoder;
    private final PixelSpace pixels;
    private final int latentSize;
    /** The shape of a spatial latent; null for a latent vector. */
    private final Latents.@Nullable MapShape map;

    ImportedVae(Descriptor descriptor, TorchScriptModule encoder, TorchScriptModule decoder) {
        super(encoder.model(), decoder.model());
        this.descriptor = descriptor;
        this.encoder = encoder;
        this.decoder = decoder;
        this.pixels = new PixelSpace(descriptor);
        this.latentSize = descriptor.latentSize();
        List<Integer> shape = descriptor.latentShape();
        this.map = shape.size() == 3 ? new Latents.MapShape(shape.get(0), shape.get(1), shape.get(2)) : null;
    }

    @Override
    public ImageShape shape() {
        return descriptor.inputShape();
    }

    @Override
    public void checkSample(SampleOptions options) {
        if (options.topK() != null) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE,
                    "topK applies to models with an autoregressive prior over codes; a VAE samples z from N(0, I)");
        }
    }

    @Override
    public void checkDecode(Latents input) {
        List<float[]> latents = switch (input) {
            case Latents.GaussianVectors vectors when map == null -> vectors.vectors();
            case Latents.GaussianMaps maps when map != null -> maps.maps();
            default -> throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this VAE decodes "
                    + (map == null ? "latent vectors of " + latentSize + " numbers" : map + " latent maps") + ": send {\"latents\": "
                    + (map == null ? "[[...]]" : "[[[[...]]]]") + "}");
        };
        for (int i = 0; i < latents.size(); i++) {
            float[] latent = latents.get(i);
            if (latent == null || latent.length != latentSize) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "latent " + i + " has " + (latent == null ? 0
                        : latent.length) + " values; the model's latents have " + (map == null ? "" : map + " = ") + latentSize);
            }
            for (float v : latent) {
                if (!Float.isFinite(v)) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "latent " + i + " holds " + v
                            + "; every value must be a finite number");
                }
            }
        }
    }

    /** Draws z_s ~ N(0, temperature^2 I) per request and decodes it. */
    @Override
    public List<Sampled> sample(List<SampleOptions> requests) {
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        float[] shown = noise(counts, requests.stream().mapToLong(SampleOptions::seed).toArray(),
                requests.stream().mapToDouble(SampleOptions::temperature).toArray());
        float[][] decoded = run(scope -> rows(decodeToPixels(latents(scope, shown, n), n), n));
        List<float[][]> images = slices(decoded, counts);
        List<float[][]> latents = slices(split(shown, n), counts);
        List<Sampled> result = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            result.add(new Sampled(images.get(r), latents(Arrays.asList(latents.get(r)))));
        }
        return result;
    }

    /** The posterior, scaled, with its mean as z or, for the requests that ask, a draw from it. */
    @Override
    public List<Encoded> encode(List<EncodeCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        int n = IntStream.of(counts).sum();
        float[][] images = concat(requests.stream().map(EncodeCall::images).toList());
        float[] noise = noise(counts, requests.stream().mapToLong(call -> call.options().seed()).toArray(),
                requests.stream().mapToDouble(call -> call.options().sample() ? 1 : 0).toArray());
        boolean[] drawn = new boolean[n];
        for (int r = 0, at = 0; r < counts.length; at += counts[r], r++) {
            Arrays.fill(drawn, at, at + counts[r], requests.get(r).options().sample());
        }
        return run(scope -> {
            NDList posterior = posterior(scope, batch(scope, images), n);
            NDArray mean = shown(posterior.get(0));
            NDArray logVariance = posterior.get(1).add(2 * Math.log(descriptor.scalingFactor()));
            NDArray z = Elbo.reparameterize(mean, logVariance, latents(scope, noise, n));
            float[][] means = rows(mean, n);
            float[][] logVariances = rows(logVariance, n);
            float[][] zs = rows(z, n);
            List<Posterior> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Posterior(means[i], logVariances[i], drawn[i] ? zs[i] : means[i].clone()));
            }
            return slices(all, counts).stream().map(part -> new Encoded(posteriors(part), null)).toList();
        });
    }

    @Override
    public List<float[][]> decode(List<Latents> inputs) {
        int[] counts = inputs.stream().mapToInt(Latents::count).toArray();
        int n = IntStream.of(counts).sum();
        float[] shown = new float[n * latentSize];
        int at = 0;
        for (Latents input : inputs) {
            List<float[]> latents = input instanceof Latents.GaussianMaps maps ? maps.maps() : ((Latents.GaussianVectors) input).vectors();
            for (float[] latent : latents) {
                System.arraycopy(latent, 0, shown, at, latentSize);
                at += latentSize;
            }
        }
        float[][] decoded = run(scope -> rows(decodeToPixels(latents(scope, shown, n), n), n));
        return slices(decoded, counts);
    }

    /**
     * Pixels decoded from the posterior mean, their mean squared error against the input and, with a likelihood, a
     * one-sample estimate of the negative ELBO in nats.
     */
    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        int n = IntStream.of(counts).sum();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        Likelihood likelihood = descriptor.likelihood();
        float[] noise = likelihood == null ? null : noise(counts, requests.stream().mapToLong(ReconstructCall::seed).toArray(),
                requests.stream().mapToDouble(call -> 1).toArray());
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDList posterior = posterior(scope, x, n);
            NDArray reconstruction = pixels.pixels(decoded(scope, posterior.get(0), n));
            float[] mses = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[] elbos = null;
            if (likelihood != null) {
                NDList terms = negativeElboTerms(likelihood, x, posterior, latents(scope, noise, n));
                elbos = terms.get(0).add(terms.get(1)).toFloatArray();
            }
            float[][] recon = rows(reconstruction, n);
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(recon[i], mses[i], elbos == null ? null : (double) elbos[i], null));
            }
            return slices(all, counts);
        });
    }

    /**
     * The two terms of the negative ELBO per image, {@code -log p(x|z)} and KL(q(z|x) || N(0, I)), for
     * z = mean + exp(logvar / 2) * noise in the model's space.
     *
     * @param posterior the mean and log-variance (n, *latentShape) of the pixels {@code x} (n, C, H, W)
     * @param noise (n, *latentShape)
     */
    private NDList negativeElboTerms(Likelihood likelihood, NDArray x, NDList posterior, NDArray noise) {
        int n = (int) x.getShape().get(0);
        NDArray mean = posterior.get(0);
        NDArray logVariance = posterior.get(1);
        NDArray z = Elbo.reparameterize(mean, logVariance, noise);
        NDArray kl = Elbo.klToStandardNormal(mean.reshape(n, -1), logVariance.reshape(n, -1));
        return new NDList(pixels.negativeLogLikelihood(likelihood, decoded(x.getManager(), z, n), x), kl);
    }

    /**
     * The two terms of the negative ELBO, {@code -log p(x|z)} and the KL, with z at the posterior mean instead of drawn:
     * deterministic, for checking the arithmetic against PyTorch's.
     *
     * @return per image, {nll, kl} in nats
     */
    float[][] negativeElboTermsAtMean(float[][] images) {
        int n = images.length;
        Likelihood likelihood = java.util.Objects.requireNonNull(descriptor.likelihood(), "a likelihood");
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDList terms = negativeElboTerms(likelihood, x, posterior(scope, x, n), scope.zeros(Answers.batch(n, descriptor.latentShape())));
            float[] nll = terms.get(0).toFloatArray();
            float[] kl = terms.get(1).toFloatArray();
            return IntStream.range(0, n).mapToObj(i -> new float[] {nll[i], kl[i]}).toArray(float[][]::new);
        });
    }

    /** The posterior mean and log-variance (n, *latentShape) of pixels (n, C, H, W), in the model's space. */
    private NDList posterior(NDManager scope, NDArray pixelBatch, int n) {
        return Answers.posterior(descriptor, encoder.forward(scope, pixels.normalise(pixelBatch)), n);
    }

    /** The decoder's answer for latents z (n, *latentShape) in the model's space. */
    private NDArray decoded(NDManager scope, NDArray z, int n) {
        return Answers.decoded(descriptor, decoder.forward(scope, z), n);
    }

    /** Pixels for latents as callers see them, z_s: decoded from z = z_s / scale + shift. */
    private NDArray decodeToPixels(NDArray shown, int n) {
        NDArray z = shown.div(descriptor.scalingFactor()).add(descriptor.shiftFactor());
        return pixels.pixels(decoded(shown.getManager(), z, n));
    }

    /** The model's latents z as callers see them: (z - shift) * scale. */
    private NDArray shown(NDArray z) {
        return z.sub(descriptor.shiftFactor()).mul(descriptor.scalingFactor());
    }

    /** n latents, latentSize numbers each, as (n, *latentShape). */
    private NDArray latents(NDManager scope, float[] values, int n) {
        return scope.create(values, Answers.batch(n, descriptor.latentShape()));
    }

    private Latents latents(List<float[]> values) {
        return map == null ? new Latents.GaussianVectors(values) : new Latents.GaussianMaps(values, map);
    }

    private Latents posteriors(List<Posterior> posteriors) {
        return map == null ? new Latents.GaussianPosteriors(posteriors) : new Latents.GaussianMapPosteriors(posteriors, map);
    }

    private float[][] split(float[] flat, int n) {
        float[][] result = new float[n][];
        for (int i = 0; i < n; i++) {
            result[i] = Arrays.copyOfRange(flat, i * latentSize, (i + 1) * latentSize);
        }
        return result;
    }

    /**
     * N(0, I) noise for each request's {@code counts[r]} latents from a generator seeded by its own seed, times its scale,
     * one request after another; a scale of 0 draws nothing (zeros).
     */
    private float[] noise(int[] counts, long[] seeds, double[] scales) {
        float[] noise = new float[IntStream.of(counts).sum() * latentSize];
        for (int r = 0, at = 0; r < counts.length; at += counts[r] * latentSize, r++) {
            float scale = (float) scales[r];
            if (scale == 0f) {
                continue;
            }
            float[] own = TrainingLoop.gaussian(new SplittableRandom(seeds[r]), counts[r] * latentSize);
            for (int i = 0; i < own.length; i++) {
                noise[at + i] = own[i] * scale;
            }
        }
        return noise;
    }

    /** A version scores only under the likelihood its descriptor declares. */
    @Override
    public void checkScore(ScoreOptions options) {
        if (descriptor.likelihood() == null) {
            throw new NotScorableException("this imported VAE declares no likelihood p(x|z) in its descriptor, so it has no "
                    + "negative ELBO or importance weighted bound to score with; import it again with \"likelihood\": "
                    + "{\"kind\": \"bernoulli\"} or {\"kind\": \"gaussian\", \"sigma\": ...}");
        }
    }

    /**
     * See {@link GaussianScoring}, in the model's own latent space (where its prior is N(0, I)). A Gaussian likelihood is
     * over the normalised pixels y = (x - mean) / std; the scores are densities of the pixels x in [0, 1], so each
     * {@code -log p(x|z)} adds the normalisation's log-Jacobian, {@code H W sum_c ln std_c} (0 for std 1).
     */
    @Override
    public List<List<Score>> score(List<ScoreCall> requests) {
        Likelihood likelihood = java.util.Objects.requireNonNull(descriptor.likelihood(), "a likelihood");
        double logJacobian = 0;
        if (likelihood instanceof Likelihood.Gaussian) {
            for (double std : descriptor.std()) {
                logJacobian += Math.log(std) * shape().height() * shape().width();
            }
        }
        double jacobian = logJacobian;
        return GaussianScoring.score(new GaussianScoring.Model() {
            @Override
            public GaussianScoring.Posteriors posteriors(float[][] images) {
                int n = images.length;
                return run(scope -> {
                    NDList posterior = posterior(scope, batch(scope, images), n);
                    return new GaussianScoring.Posteriors(rows(posterior.get(0), n), rows(posterior.get(1), n));
                });
            }

            @Override
            public double[] negativeLogLikelihood(float[][] images, float[][] latents) {
                int n = images.length;
                float[] flat = new float[n * latentSize];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(latents[i], 0, flat, i * latentSize, latentSize);
                }
                return run(scope -> {
                    NDArray decoded = decoded(scope, latents(scope, flat, n), n);
                    float[] nll = pixels.negativeLogLikelihood(likelihood, decoded, batch(scope, images)).toFloatArray();
                    return IntStream.range(0, n).mapToDouble(i -> nll[i] + jacobian).toArray();
                });
            }
        }, requests, shape().size());
    }
}
