package dev.latentserve.serving;

import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.NotScorableException;
import dev.latentserve.family.Scoring;
import dev.latentserve.image.ImageShape;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.serving.ModelBatcher.Operation;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * How likely images are under a model version ({@link Scoring}): checks the request on the caller's thread, then queues
 * it on the version's batcher as operation {@code score}, whose rows are decoder passes: images x (L + k) for Gaussian
 * latents, so that a request with many importance samples runs in a batch of its own, and one per image for codes.
 */
@Service
public class ScoreService {

    private final ManifestCache manifests;
    private final LoadedModels models;
    private final ModelBatchers batchers;
    private final InferenceService inference;
    private final ServingProperties serving;
    private final ScoreProperties limits;

    ScoreService(ManifestCache manifests, LoadedModels models, ModelBatchers batchers, InferenceService inference,
            ServingProperties serving, ScoreProperties limits) {
        this.manifests = manifests;
        this.models = models;
        this.batchers = batchers;
        this.inference = inference;
        this.serving = serving;
        this.limits = limits;
    }

    /** One image's scores with the model's shape, for bits per dimension. */
    /**
     * @param testQuantiles the quantiles of the version's test set's one-sample negative ELBO, when its manifest has them
     * @param codeQuantiles the quantiles of the version's test set's {@code -log p(codes)} by level and
     *     {@value HeldOutQuantiles#TOTAL}, when its manifest has them; else empty
     */
    public record Scored(String model, int version, ImageShape shape, long seed, int samples, int importanceSamples,
            List<Scoring.Score> scores, @Nullable List<? extends Number> testQuantiles,
            Map<String, List<Double>> codeQuantiles) {
    }

    /**
     * @param samples L, null for 1; must be null for codes, whose score is exact
     * @param importanceSamples k, null for the configured default; must be null for codes
     * @param seed null for a random one, which the answer names
     * @throws InapplicableSettingException (422) for samples or k sent to a model with discrete latents
     * @throws dev.latentserve.family.NoPriorException (409) for codes without their prior, naming the fit-prior job
     */
    public CompletableFuture<Scored> score(String reference, List<ImageInput> images, @Nullable Integer samples,
            @Nullable Integer importanceSamples, @Nullable Long seed) throws IOException {
        check("images", images.size(), serving.maxBatch());
        ModelManifest manifest = manifests.resolve(reference);
        // Gaussian latents are scored by sampling them, L + k decoder passes per image; codes by one pass of the priors.
        boolean sampled = switch (manifest.latent()) {
            case LatentSpec.Gaussian g -> true;
            case LatentSpec.SpatialGaussian g -> true;
            default -> false;
        };
        if (!sampled && (samples != null || importanceSamples != null)) {
            throw new InapplicableSettingException((samples != null ? "samples" : "k") + " does not apply to model "
                    + manifest.reference() + ": samples (L) and k are the posterior draws of the ELBO and IWAE bounds of a "
                    + "model with Gaussian latents, while the score of a VQ-VAE or VQ-VAE-2 is exact, -log p(codes) of the image's codes under "
                    + "its prior in one pass; leave them out");
        }
        if (manifest.latent().sampling() == LatentSpec.Sampling.NEEDS_PRIOR) {
            throw InferenceService.noPrior(manifest, "score images with");
        }
        int l = samples == null ? 1 : samples;
        int k = importanceSamples == null ? limits.defaultImportanceSamples() : importanceSamples;
        check("samples", l, limits.maxSamples());
        check("k", k, limits.maxImportanceSamples());
        long draws = (long) images.size() * (sampled ? l + k : 1);
        if (draws > limits.maxDraws()) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "images x (samples + k) = " + images.size() + " x ("
                    + l + " + " + k + ") = " + draws + " decoder passes; a request may ask for at most " + limits.maxDraws()
                    + " (latentserve.serving.score.max-draws): send fewer images per request or a smaller k");
        }
        long actualSeed = seed == null ? ThreadLocalRandom.current().nextLong(1L << 53) : seed;
        LoadedModel model = models.get(manifest);
        if (!(model instanceof Scoring scoring)) {
            throw new NotScorableException("model " + manifest.reference() + " (family " + manifest.family()
                    + ") cannot score images");
        }
        Scoring.ScoreOptions options = new Scoring.ScoreOptions(l, k, actualSeed);
        scoring.checkScore(options);
        Scoring.ScoreCall call = new Scoring.ScoreCall(inference.pixels(images, model.shape()), options);
        return InferenceService.mapped(batchers.submit(manifest, new Operation<>("score", scoring::score), call, (int) draws),
                scores -> new Scored(manifest.name(), manifest.version(), model.shape(), actualSeed, l, k, finite(scores),
                        HeldOutQuantiles.quantileList(manifest.metrics().get(HeldOutScoring.METRIC)),
                        HeldOutQuantiles.codeQuantiles(manifest.metrics())));
    }

    private static List<Scoring.Score> finite(List<Scoring.Score> scores) {
        for (int i = 0; i < scores.size(); i++) {
            boolean finite = switch (scores.get(i)) {
                case Scoring.Bounds b -> Double.isFinite(b.negativeElbo()) && Double.isFinite(b.iwae());
                case Scoring.CodeLikelihood c -> Double.isFinite(c.total()) && Double.isFinite(c.mse());
            };
            if (!finite) {
                throw new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, "scoring image " + i + " gave non-finite "
                        + "numbers; the model cannot represent this image (check that it resembles the training data)");
            }
        }
        return scores;
    }

    private static void check(String what, int value, int max) {
        if (value < 1 || value > max) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, what + " must be between 1 and " + max + ", not " + value);
        }
    }
}
