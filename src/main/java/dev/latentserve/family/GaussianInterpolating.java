package dev.latentserve.family;

import dev.latentserve.family.InvalidInferenceInputException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Interpolation for models with Gaussian latents (vectors or C x h x w maps), built on their own encode, sample and
 * decode: images become their posterior means, seeds the z that {@code /sample} draws for one image, and each step of
 * the path between the two latents is decoded, every call's steps in one decoder batch.
 */
public interface GaussianInterpolating extends Interpolating, LoadedModel {

    @Override
    default void checkInterpolate(Ends ends) {
        if (ends instanceof Ends.Given given) {
            Latents latents = given.latents();
            if (!(latents instanceof Latents.GaussianVectors || latents instanceof Latents.GaussianMaps)) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model interpolates between Gaussian latents: "
                        + "send {\"latents\": [a, b]} as /decode takes them");
            }
            checkDecode(latents);
        }
    }

    @Override
    default List<Interpolated> interpolate(List<InterpolateCall> calls) {
        List<EncodeCall> encodes = new ArrayList<>();
        List<SampleOptions> draws = new ArrayList<>();
        for (InterpolateCall call : calls) {
            switch (call.ends()) {
                case Ends.Images images -> encodes.add(new EncodeCall(new float[][] {images.from(), images.to()},
                        new EncodeOptions(false, 0, false)));
                case Ends.Seeds seeds -> {
                    draws.add(new SampleOptions(1, seeds.from(), 1.0, null));
                    draws.add(new SampleOptions(1, seeds.to(), 1.0, null));
                }
                case Ends.Given given -> {
                }
            }
        }
        List<Encoded> encoded = encodes.isEmpty() ? List.of() : encode(encodes);
        List<Sampled> drawn = draws.isEmpty() ? List.of() : sample(draws);
        List<Latents> paths = new ArrayList<>(calls.size());
        int encodedAt = 0;
        int drawnAt = 0;
        for (InterpolateCall call : calls) {
            Latents ends = switch (call.ends()) {
                case Ends.Images images -> encoded.get(encodedAt++).latents();
                case Ends.Seeds seeds -> Latents.concat(List.of(drawn.get(drawnAt++).latents(), drawn.get(drawnAt++).latents()));
                case Ends.Given given -> given.latents();
            };
            paths.add(path(ends, call));
        }
        List<float[][]> images = decode(paths);
        List<Interpolated> result = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            result.add(new Interpolated(images.get(i), paths.get(i), walked(paths.get(i), calls.get(i).method())));
        }
        return result;
    }

    /** The call's path between the two latents of {@code ends}: posterior means of images, or z as given or drawn. */
    private static Latents path(Latents ends, InterpolateCall call) {
        return switch (ends) {
            case Latents.GaussianVectors z -> new Latents.GaussianVectors(path(z.vectors(), call));
            case Latents.GaussianPosteriors p -> new Latents.GaussianVectors(path(means(p.posteriors()), call));
            case Latents.GaussianMaps z -> new Latents.GaussianMaps(path(z.maps(), call), z.shape());
            case Latents.GaussianMapPosteriors p -> new Latents.GaussianMaps(path(means(p.posteriors()), call), p.shape());
            default -> throw new IllegalStateException("not Gaussian latents: " + ends.getClass().getSimpleName());
        };
    }

    /** How the path was walked, from its two ends: {@link Interpolation#path} keeps them exactly. */
    private static Walked walked(Latents path, Interpolation.Method asked) {
        List<float[]> points = switch (path) {
            case Latents.GaussianVectors z -> z.vectors();
            case Latents.GaussianMaps z -> z.maps();
            default -> throw new IllegalStateException("not a Gaussian path: " + path.getClass().getSimpleName());
        };
        return Walked.of(asked, points.getFirst(), points.getLast());
    }

    private static List<float[]> path(List<float[]> ends, InterpolateCall call) {
        return Arrays.asList(Interpolation.path(ends.get(0), ends.get(1), call.steps(), call.method()));
    }

    private static List<float[]> means(List<Latents.GaussianPosteriors.Posterior> posteriors) {
        return posteriors.stream().map(Latents.GaussianPosteriors.Posterior::mean).toList();
    }
}
