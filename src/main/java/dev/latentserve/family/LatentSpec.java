package dev.latentserve.family;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.latentserve.image.ImageShape;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latent space of a model version, as its manifest's {@code latent} field records it: one record per kind of
 * latent, told apart in JSON by {@code type}. Callers outside {@code family} ask it what they need (can the version
 * sample, through which prior, which levels take a temperature of their own) instead of reading keys of a map.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = LatentSpec.Gaussian.class, name = "gaussian"),
        @JsonSubTypes.Type(value = LatentSpec.SpatialGaussian.class, name = "spatial-gaussian"),
        @JsonSubTypes.Type(value = LatentSpec.CodeGrid.class, name = "codes"),
        @JsonSubTypes.Type(value = LatentSpec.CodeHierarchy.class, name = "code-hierarchy")})
@Schema(description = "The latent space; 'type' tells the kind", oneOf = {LatentSpec.Gaussian.class,
        LatentSpec.SpatialGaussian.class, LatentSpec.CodeGrid.class, LatentSpec.CodeHierarchy.class})
public sealed interface LatentSpec {

    /** The {@code prior} of a discrete latent with no prior fitted yet. */
    String NO_PRIOR = "none";

    /** How a version of this latent space draws samples. */
    enum Sampling {
        /** From a fixed prior (a standard normal) in one decoder pass. */
        DIRECT,
        /** From a fitted autoregressive prior, one prior pass per code position. */
        AUTOREGRESSIVE,
        /** Not at all: the codes have no prior fitted yet (a fit-prior job fits one). */
        NEEDS_PRIOR
    }

    /** How this version samples. */
    Sampling sampling();

    /** The levels that may each get a sampling temperature of their own, in order; empty for one-level latents. */
    default List<String> levelNames() {
        return List.of();
    }

    /**
     * Code positions per level, coarsest first, in the order an autoregressive prior draws them (rows x columns of
     * each level's grid; a one-level grid's level is {@code codes}); empty for Gaussian latents.
     */
    default Map<String, Integer> codePositions() {
        return switch (this) {
            case CodeGrid grid -> Map.of("codes", grid.grid().get(0) * grid.grid().get(1));
            case CodeHierarchy hierarchy -> {
                Map<String, Integer> positions = new LinkedHashMap<>();
                hierarchy.levels().forEach((name, level) -> positions.put(name, level.grid().get(0) * level.grid().get(1)));
                yield positions;
            }
            default -> Map.of();
        };
    }

    /**
     * Gaussian latent vectors z in R^d with prior N(0, I) (Kingma and Welling 2014).
     *
     * @param dimension d
     */
    @Schema(description = "Gaussian latent vectors with a standard normal prior")
    record Gaussian(int dimension) implements LatentSpec {

        @Override
        public Sampling sampling() {
            return Sampling.DIRECT;
        }
    }

    /**
     * Gaussian latents laid out as a feature map, C x h x w, with prior N(0, I) on every entry (a convolutional VAE
     * without a dense bottleneck).
     */
    @Schema(description = "A C x h x w Gaussian feature map with a standard normal prior")
    record SpatialGaussian(int channels, List<Integer> grid) implements LatentSpec {

        public SpatialGaussian {
            grid = List.copyOf(grid);
        }

        @Override
        public Sampling sampling() {
            return Sampling.DIRECT;
        }

        /** Numbers per image: C x h x w. */
        public int size() {
            return channels * grid.get(0) * grid.get(1);
        }
    }

    /**
     * One grid of discrete codes per image (VQ-VAE, van den Oord et al. 2017).
     *
     * @param codes K, the codebook size: codes are integers in [0, K)
     * @param codeDim D, the length of a codebook vector
     * @param grid [rows, columns] of the code grid
     * @param prior the fitted prior's type, or {@value #NO_PRIOR}
     */
    @Schema(description = "One grid of discrete codes per image")
    record CodeGrid(int codes, int codeDim, List<Integer> grid, String prior) implements LatentSpec {

        public CodeGrid {
            grid = List.copyOf(grid);
        }

        @Override
        public Sampling sampling() {
            return NO_PRIOR.equals(prior) ? Sampling.NEEDS_PRIOR : Sampling.AUTOREGRESSIVE;
        }
    }

    /**
     * A grid of discrete codes per level and image, coarse to fine (VQ-VAE-2, Razavi et al. 2019).
     *
     * @param levels each level's codebook and grid, coarsest first
     * @param paddedShape the image shape the encoder sees after padding
     * @param padding pixels added on each side ({@code top}, {@code bottom}, {@code left}, {@code right})
     * @param prior the priors' type once every level has one, else {@value #NO_PRIOR}
     * @param priorLevels the levels whose prior is fitted
     */
    @Schema(description = "A grid of discrete codes per level (top, bottom) and image")
    record CodeHierarchy(Map<String, Level> levels, ImageShape paddedShape, Map<String, Integer> padding, String prior,
            List<String> priorLevels) implements LatentSpec {

        public CodeHierarchy {
            levels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(levels));
            padding = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(padding));
            priorLevels = List.copyOf(priorLevels);
        }

        @Override
        public Sampling sampling() {
            return NO_PRIOR.equals(prior) ? Sampling.NEEDS_PRIOR : Sampling.AUTOREGRESSIVE;
        }

        @Override
        public List<String> levelNames() {
            return List.copyOf(levels.keySet());
        }

        /** One level's codebook size K, vector length D and [rows, columns]. */
        public record Level(int codes, int codeDim, List<Integer> grid) {

            public Level {
                grid = List.copyOf(grid);
            }
        }
    }
}
