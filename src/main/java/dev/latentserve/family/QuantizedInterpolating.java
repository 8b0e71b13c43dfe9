package dev.latentserve.family;

import dev.latentserve.family.InvalidInferenceInputException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Interpolation for models with one grid of codes (VQ-VAE): the path runs between the encoder outputs before
 * quantisation, z_e(x), of two images (or the codebook vectors of two code grids, or two unquantised vectors as
 * {@code /decode} takes them), and each step is quantised to its nearest codes and decoded, so every step is a code grid
 * the model could have produced. Seeds are refused: these models sample through an autoregressive prior, which draws
 * codes, not points between which to interpolate.
 */
public interface QuantizedInterpolating extends Interpolating, LoadedModel {

    /** Each grid's codebook vectors, D*h*w channel-major per image: points that quantise back to the grid. */
    List<float[]> codebookVectors(Latents.CodeGrids codes);

    /** Each D*h*w vector map quantised to its nearest codes. */
    Latents.CodeGrids quantise(Latents.UnquantisedVectors vectors);

    /** Seeds name no point of a space of codes: the answer to them for every model that samples through a prior. */
    static InvalidInferenceInputException seedsRefused() {
        return new InvalidInferenceInputException(Kind.INVALID_LATENT, "a model with codes samples through its autoregressive "
                + "prior, so a seed names no point to interpolate from: sample with /sample and send the two code grids it "
                + "answers as {\"codes\": ...}, or send two images");
    }

    @Override
    default void checkInterpolate(Ends ends) {
        switch (ends) {
            case Ends.Seeds seeds -> throw seedsRefused();
            case Ends.Given given -> {
                if (!(given.latents() instanceof Latents.CodeGrids || given.latents() instanceof Latents.UnquantisedVectors)) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model interpolates between code grids "
                            + "or unquantised vectors: send {\"codes\": [a, b]} or {\"vectors\": [a, b]} as /decode takes them");
                }
                checkDecode(given.latents());
            }
            case Ends.Images images -> {
            }
        }
    }

    @Override
    default List<Interpolated> interpolate(List<InterpolateCall> calls) {
        List<EncodeCall> encodes = new ArrayList<>();
        for (InterpolateCall call : calls) {
            if (call.ends() instanceof Ends.Images images) {
                encodes.add(new EncodeCall(new float[][] {images.from(), images.to()}, new EncodeOptions(false, 0, true)));
            }
        }
        List<Encoded> encoded = encodes.isEmpty() ? List.of() : encode(encodes);
        List<float[]> steps = new ArrayList<>();
        List<Walked> walked = new ArrayList<>(calls.size());
        int encodedAt = 0;
        for (InterpolateCall call : calls) {
            List<float[]> ends = switch (call.ends()) {
                case Ends.Images images -> encoded.get(encodedAt++).vectors().vectors();
                case Ends.Given given -> switch (given.latents()) {
                    case Latents.CodeGrids codes -> codebookVectors(codes);
                    case Latents.UnquantisedVectors vectors -> vectors.vectors();
                    default -> throw new IllegalStateException("checked by checkInterpolate");
                };
                case Ends.Seeds seeds -> throw new IllegalStateException("checked by checkInterpolate");
            };
            walked.add(Walked.of(call.method(), ends.get(0), ends.get(1)));
            steps.addAll(Arrays.asList(Interpolation.path(ends.get(0), ends.get(1), call.steps(), call.method())));
        }
        Latents.CodeGrids codes = quantise(new Latents.UnquantisedVectors(steps));
        List<Latents> paths = new ArrayList<>(calls.size());
        int at = 0;
        for (InterpolateCall call : calls) {
            paths.add(codes.slice(at, at + call.steps()));
            at += call.steps();
        }
        List<float[][]> images = decode(paths);
        List<Interpolated> result = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            result.add(new Interpolated(images.get(i), paths.get(i), walked.get(i)));
        }
        return result;
    }
}
