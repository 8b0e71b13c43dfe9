package dev.latentserve.serving;

import dev.latentserve.family.Interpolating;
import dev.latentserve.family.Interpolating.Ends;
import dev.latentserve.family.Interpolation;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.serving.ModelBatcher.Operation;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * {@code /interpolate}: checks the two ends against the model on the caller's thread, then queues the request on the
 * version's batcher as one request of {@code steps} rows, where it may share an engine call with other interpolations.
 */
@Service
public class InterpolationService {

    /** Points on a path, both ends included. */
    static final int MIN_STEPS = 2;
    static final int MAX_STEPS = 64;

    private final ManifestCache manifests;
    private final LoadedModels models;
    private final ModelBatchers batchers;
    private final InferenceService inference;

    InterpolationService(ManifestCache manifests, LoadedModels models, ModelBatchers batchers, InferenceService inference) {
        this.manifests = manifests;
        this.models = models;
        this.batchers = batchers;
        this.inference = inference;
    }

    /**
     * What {@code /interpolate} answers: the version that answered and the path's images and latents, with the method
     * it was walked by ({@code path.walked()}: lerp, and why, where slerp was asked for and could not be walked).
     */
    public record Interpolated(String model, int version, ImageShape shape, Interpolating.Interpolated path) {
    }

    /** Where the path starts and ends, as the request gave them: two images, two of what /decode takes, or two seeds. */
    public sealed interface SentEnds {

        record Images(List<ImageInput> images) implements SentEnds {
        }

        /** As {@code /decode} takes them; exactly one is given. */
        record Decodable(@Nullable List<Latents.@Nullable Sent> latents, @Nullable Object codes, @Nullable List<float[]> vectors)
                implements SentEnds {
        }

        record Seeds(List<Long> seeds) implements SentEnds {
        }
    }

    public CompletableFuture<Interpolated> interpolate(String reference, SentEnds sent, int steps, Interpolation.Method method)
            throws IOException {
        if (steps < MIN_STEPS || steps > MAX_STEPS) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "steps must be between " + MIN_STEPS + " and "
                    + MAX_STEPS + " (the images of the path, both ends included), not " + steps);
        }
        ModelManifest manifest = manifests.resolve(reference);
        LoadedModel model = models.get(manifest);
        if (!(model instanceof Interpolating interpolating)) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "model " + manifest.reference() + " (family "
                    + manifest.family() + ") does not interpolate");
        }
        Ends ends = ends(sent, model, manifest);
        interpolating.checkInterpolate(ends);
        Interpolating.InterpolateCall call = new Interpolating.InterpolateCall(ends, steps, method);
        CompletableFuture<Interpolating.Interpolated> queued = batchers.submit(manifest,
                new Operation<>("interpolate", interpolating::interpolate), call, steps);
        CompletableFuture<Interpolated> result = queued.thenApply(path -> new Interpolated(manifest.name(), manifest.version(),
                model.shape(), new Interpolating.Interpolated(FiniteOutputs.decoded(path.images(), path.latents()),
                        path.latents(), path.walked())));
        result.whenComplete((value, error) -> {
            if (result.isCancelled()) {
                queued.cancel(false);
            }
        });
        return result;
    }

    private Ends ends(SentEnds sent, LoadedModel model, ModelManifest manifest) {
        return switch (sent) {
            case SentEnds.Images images -> {
                two("images", images.images().size());
                float[][] pixels = inference.pixels(images.images(), model.shape());
                yield new Ends.Images(pixels[0], pixels[1]);
            }
            case SentEnds.Decodable given -> {
                Latents latents = Latents.fromRequest(given.latents(), given.codes(), given.vectors(), manifest.latent());
                two(given.latents() != null ? "latents" : given.codes() != null ? "codes" : "vectors", latents.count());
                yield new Ends.Given(latents);
            }
            case SentEnds.Seeds seeds -> {
                two("seeds", seeds.seeds().size());
                yield new Ends.Seeds(seeds.seeds().get(0), seeds.seeds().get(1));
            }
        };
    }

    private static void two(String what, int count) {
        if (count != 2) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "send exactly two " + what + ", the path's first and "
                    + "last, not " + count);
        }
    }
}
