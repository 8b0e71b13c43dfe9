package dev.latentserve.serving;

import dev.latentserve.family.Latents;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which field of a response carries latents of each kind, in the kind's own JSON form: Gaussian vectors, maps and
 * their posteriors under {@code latents}, code grids and hierarchies under {@code codes}, unquantised vectors under
 * {@code vectors}. The same fields, in the same forms, are what {@code /decode} takes.
 */
final class LatentFields {

    private LatentFields() {
    }

    static @Nullable List<?> latents(Latents latents) {
        return switch (latents) {
            case Latents.GaussianVectors z -> z.items();
            case Latents.GaussianPosteriors posteriors -> posteriors.items();
            case Latents.GaussianMaps maps -> maps.nested();
            case Latents.GaussianMapPosteriors posteriors -> posteriors.nested();
            case Latents.CodeGrids c -> null;
            case Latents.CodeHierarchy h -> null;
            case Latents.UnquantisedVectors v -> null;
        };
    }

    static @Nullable Object codes(Latents latents) {
        return switch (latents) {
            case Latents.CodeGrids grids -> grids.json();
            case Latents.CodeHierarchy hierarchy -> hierarchy.json();
            case Latents.GaussianVectors z -> null;
            case Latents.GaussianPosteriors p -> null;
            case Latents.GaussianMaps m -> null;
            case Latents.GaussianMapPosteriors p -> null;
            case Latents.UnquantisedVectors v -> null;
        };
    }
}
