package dev.latentserve.serving;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.api.ProblemException;
import dev.latentserve.family.Completing;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.SamplingLimits;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.image.InvalidImageException;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.serving.ModelBatcher.Operation;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Completion (inpainting) of one image with a version's autoregressive prior ({@link Completing}): checks the request
 * and the known region against the model on the caller's thread, then queues it on the version's batcher as operation
 * {@code complete}, where the rows of several requests share each prior pass.
 */
@Service
public class CompletionService {

    /** The most completions of one image per request. */
    public static final int MAX_COUNT = 64;

    private final ManifestCache manifests;
    private final LoadedModels models;
    private final ModelBatchers batchers;
    private final InferenceService inference;
    private final SamplingLimits samplingLimits;
    private final int maxImageSide;

    CompletionService(ManifestCache manifests, LoadedModels models, ModelBatchers batchers, InferenceService inference,
            SamplingLimits samplingLimits, ServingProperties properties) {
        this.manifests = manifests;
        this.models = models;
        this.batchers = batchers;
        this.inference = inference;
        this.samplingLimits = samplingLimits;
        this.maxImageSide = properties.maxImageSide();
    }

    /** Which pixels of the image are known, as a mask. */
    public sealed interface Mask {

        /** H lists of W numbers, 1 where the pixel is known and 0 where not. */
        record Values(double[][] values) implements Mask {
        }

        /** A PNG or JPEG of the image's size, whose non-zero pixels are known. */
        record Image(byte[] bytes) implements Mask {
        }
    }

    /** The completions of one image, with the image itself as the model took it. */
    public record Completion(String model, int version, ImageShape shape, long seed, float[] original,
            Completing.Completed completed) {
    }

    /**
     * @param knownRows the top rows known, or null when {@code mask} says what is
     * @param mask which pixels are known, or null when {@code knownRows} says
     */
    public CompletableFuture<Completion> complete(String reference, ImageInput image, @Nullable Integer knownRows,
            @Nullable Mask mask, int count, @Nullable Long seed, double temperature, @Nullable Integer topK,
            Map<String, Double> temperatures) throws IOException {
        if (count < 1 || count > MAX_COUNT) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "count must be between 1 and " + MAX_COUNT + ", not " + count);
        }
        if ((knownRows == null) == (mask == null)) {
            throw new BadRequestException(knownRows == null ? "missing-field" : "conflicting-fields", "Send knownRows or mask",
                    "send exactly one of knownRows (the top n pixel rows are known) or mask (H lists of W 0/1 values, "
                            + "1 = known; or a PNG part 'mask' whose non-zero pixels are known)");
        }
        // A bare name completes with its newest version that samples, as /sample does.
        ModelManifest manifest = manifests.resolveSampler(reference);
        switch (manifest.latent().sampling()) {
            case DIRECT -> throw new NotCompletableException("model " + manifest.reference() + " has Gaussian latents with a "
                    + "fixed prior; completion needs a model with an autoregressive prior over codes (a VQ-VAE or VQ-VAE-2 "
                    + "with a fitted prior)");
            case NEEDS_PRIOR -> throw InferenceService.noPrior(manifest, "complete images with");
            case AUTOREGRESSIVE -> {
            }
        }
        samplingLimits.problem(temperature, topK, temperatures, manifest.latent(), "").ifPresent(problem -> {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, problem);
        });
        SamplingLimits.codebookProblem(topK, manifest.latent(), "").ifPresent(problem -> {
            throw new InapplicableSettingException(problem);
        });
        LoadedModel model = models.get(manifest);
        if (!(model instanceof Completing completing)) {
            throw new NotCompletableException("model " + manifest.reference() + " cannot complete images yet; completion needs "
                    + "a model with an autoregressive prior that implements it (VQ-VAEs, VQ-VAE-2s and imported VQ-VAEs)");
        }
        ImageShape shape = model.shape();
        float[] pixels = inference.pixels(List.of(image), shape)[0];
        boolean[] known = knownRows != null ? rows(knownRows, shape) : known(mask, shape);
        long actualSeed = seed == null ? ThreadLocalRandom.current().nextLong(1L << 53) : seed;
        LoadedModel.SampleOptions options = new LoadedModel.SampleOptions(count, actualSeed, temperature, topK, temperatures);
        model.checkSample(options);
        Completing.CompleteCall call = new Completing.CompleteCall(pixels, known, options);
        return InferenceService.mapped(batchers.submit(manifest, new Operation<>("complete", completing::complete), call, count),
                completed -> new Completion(manifest.name(), manifest.version(), shape, actualSeed, pixels, finite(completed)));
    }

    /** As {@code /sample}'s: no answer carries NaN or infinite pixels. */
    private static Completing.Completed finite(Completing.Completed completed) {
        for (int i = 0; i < completed.images().length; i++) {
            if (!FiniteOutputs.finite(completed.images()[i])) {
                throw new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, "completion " + i + " came out non-finite; "
                        + "try a lower temperature or another seed");
            }
        }
        return completed;
    }

    private static boolean[] rows(int knownRows, ImageShape shape) {
        if (knownRows < 0 || knownRows > shape.height()) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "knownRows must be between 0 and the image's height "
                    + shape.height() + ", not " + knownRows);
        }
        boolean[] known = new boolean[shape.height() * shape.width()];
        Arrays.fill(known, 0, knownRows * shape.width(), true);
        return known;
    }

    private boolean[] known(Mask mask, ImageShape shape) {
        return switch (mask) {
            case Mask.Values values -> values(values.values(), shape);
            case Mask.Image image -> image(image.bytes(), shape);
        };
    }

    /** " of w" when every row is w long, else the first row whose length differs from the first's. */
    private static String rowLengths(double[][] mask) {
        if (mask.length == 0 || mask[0] == null) {
            return "";
        }
        for (int y = 1; y < mask.length; y++) {
            if (mask[y] == null || mask[y].length != mask[0].length) {
                return " (row 0 has " + mask[0].length + " values, row " + y + " " + (mask[y] == null ? "none" : mask[y].length) + ")";
            }
        }
        return " of " + mask[0].length;
    }

    private static boolean[] values(double[][] mask, ImageShape shape) {
        boolean rightSize = mask.length == shape.height()
                && Arrays.stream(mask).allMatch(row -> row != null && row.length == shape.width());
        if (!rightSize) {
            throw new InvalidMaskException("mask must be " + shape.height() + " rows of " + shape.width()
                    + " values (the image's height and width), not " + mask.length + " rows" + rowLengths(mask));
        }
        boolean[] known = new boolean[shape.height() * shape.width()];
        for (int y = 0; y < shape.height(); y++) {
            for (int x = 0; x < shape.width(); x++) {
                double value = mask[y][x];
                if (value != 0 && value != 1) {
                    throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "mask[" + y + "][" + x + "] is " + value
                            + "; each value must be 1 (known) or 0 (to complete)");
                }
                known[y * shape.width() + x] = value == 1;
            }
        }
        return known;
    }

    private boolean[] image(byte[] bytes, ImageShape shape) {
        ImageCodec.Decoded decoded;
        try {
            decoded = ImageCodec.decode(bytes, maxImageSide);
        } catch (InvalidImageException e) {
            throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "mask: " + e.getMessage());
        }
        ImageShape found = decoded.shape();
        if (found.height() != shape.height() || found.width() != shape.width()) {
            throw new InvalidMaskException("the mask image is " + ImageInputDecoder.describe(found) + "; it must have the "
                    + "image's size, " + shape.width() + "x" + shape.height() + " (width x height)");
        }
        int plane = found.height() * found.width();
        boolean[] known = new boolean[plane];
        for (int c = 0; c < found.channels(); c++) {
            for (int i = 0; i < plane; i++) {
                known[i] |= decoded.pixels()[c * plane + i] > 0;
            }
        }
        return known;
    }

    /** A mask that does not fit the image (HTTP 422). */
    static final class InvalidMaskException extends ProblemException {

        InvalidMaskException(String detail) {
            super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-mask", "The mask does not fit the image", detail);
        }
    }

    /** Completion asked of a model without an autoregressive prior over codes (HTTP 422). */
    static final class NotCompletableException extends ProblemException {

        NotCompletableException(String detail) {
            super(HttpStatus.UNPROCESSABLE_CONTENT, "not-completable", "The model cannot complete images", detail);
        }
    }
}
