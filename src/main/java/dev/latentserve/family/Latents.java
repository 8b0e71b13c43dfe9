package dev.latentserve.family;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The latent representation of a batch of images, one record per kind, each with its one JSON form: what
 * {@code /sample} and {@code /encode} answer, what {@code /decode} takes back unchanged, and what a sample job's
 * result holds. {@link #json()} is the batch's form (Jackson writes it as such), {@link #json(int)} one image's.
 *
 * <ul>
 *   <li>{@link GaussianVectors}: {@code [[z...], ...]}, one vector per image</li>
 *   <li>{@link GaussianPosteriors}: {@code [{"mean": [...], "logVariance": [...], "z": [...]}, ...]}</li>
 *   <li>{@link GaussianMaps}: {@code [[[[z...] x w] x h] x C], ...]}, one C x h x w map per image, nested by its shape</li>
 *   <li>{@link GaussianMapPosteriors}: {@code [{"mean": map, "logVariance": map, "z": map}, ...]}, each map nested so</li>
 *   <li>{@link CodeGrids}: {@code [[[code, ...], ...], ...]}, one grid of rows per image</li>
 *   <li>{@link CodeHierarchy}: {@code {"top": [grid, ...], "bottom": [grid, ...]}}, one list of grids per level</li>
 *   <li>{@link UnquantisedVectors}: {@code [[...D*h*w floats...], ...]}, encoder outputs before quantisation</li>
 * </ul>
 */
public sealed interface Latents permits Latents.PerImage, Latents.CodeHierarchy {

    /** Images described. */
    int count();

    /** The batch's JSON form. */
    @JsonValue
    Object json();

    /** Image {@code i}'s JSON form. */
    Object json(int i);

    /** Images {@code [from, to)} of this batch. */
    Latents slice(int from, int to);

    /** The batches one after the other, as one; all of one kind. */
    static Latents concat(List<? extends Latents> parts) {
        Latents first = parts.getFirst();
        return switch (first) {
            case GaussianVectors g -> new GaussianVectors(flatten(parts, GaussianVectors.class, GaussianVectors::vectors));
            case GaussianPosteriors p -> new GaussianPosteriors(flatten(parts, GaussianPosteriors.class, GaussianPosteriors::posteriors));
            case GaussianMaps m -> new GaussianMaps(flatten(sameShape(parts, m.shape()), GaussianMaps.class, GaussianMaps::maps), m.shape());
            case GaussianMapPosteriors p -> new GaussianMapPosteriors(
                    flatten(sameShape(parts, p.shape()), GaussianMapPosteriors.class, GaussianMapPosteriors::posteriors), p.shape());
            case CodeGrids c -> new CodeGrids(flatten(parts, CodeGrids.class, CodeGrids::grids));
            case UnquantisedVectors u -> new UnquantisedVectors(flatten(parts, UnquantisedVectors.class, UnquantisedVectors::vectors));
            case CodeHierarchy h -> {
                Map<String, List<int[][]>> levels = new LinkedHashMap<>();
                for (String level : h.levels().keySet()) {
                    levels.put(level, flatten(parts, CodeHierarchy.class, part -> part.level(level)));
                }
                yield new CodeHierarchy(levels);
            }
        };
    }

    private static <T extends Latents, E> List<E> flatten(List<? extends Latents> parts, Class<T> kind,
            java.util.function.Function<T, List<E>> items) {
        List<E> all = new ArrayList<>();
        for (Latents part : parts) {
            if (!kind.isInstance(part)) {
                throw new IllegalArgumentException("cannot join " + kind.getSimpleName() + " and " + part.getClass().getSimpleName());
            }
            all.addAll(items.apply(kind.cast(part)));
        }
        return all;
    }

    private static List<? extends Latents> sameShape(List<? extends Latents> parts, MapShape shape) {
        for (Latents part : parts) {
            MapShape other = switch (part) {
                case GaussianMaps m -> m.shape();
                case GaussianMapPosteriors p -> p.shape();
                default -> shape;
            };
            if (!other.equals(shape)) {
                throw new IllegalArgumentException("cannot join maps of " + shape + " and " + other);
            }
        }
        return parts;
    }

    /** Latents held as one item per image, whose batch form is the list of the items. */
    sealed interface PerImage<E> extends Latents permits GaussianVectors, GaussianPosteriors, GaussianMaps, GaussianMapPosteriors,
            CodeGrids, UnquantisedVectors {

        /** One item per image, in order. */
        List<E> items();

        @Override
        default int count() {
            return items().size();
        }

        @Override
        default Object json() {
            return items();
        }

        @Override
        default Object json(int i) {
            return items().get(i);
        }
    }

    /** Latent vectors z, one per image. */
    record GaussianVectors(List<float[]> vectors) implements PerImage<float[]> {

        public GaussianVectors {
            vectors = Collections.unmodifiableList(new ArrayList<>(vectors));
        }

        @Override
        public GaussianVectors slice(int from, int to) {
            return new GaussianVectors(vectors.subList(from, to));
        }

        @Override
        public List<float[]> items() {
            return vectors;
        }
    }

    /**
     * The approximate posterior q(z|x) = N(mean, diag(exp(logVariance))) of each image, with the z taken from it (its
     * mean, or a draw when asked).
     */
    record GaussianPosteriors(List<GaussianPosteriors.Posterior> posteriors) implements PerImage<GaussianPosteriors.Posterior> {

        public GaussianPosteriors {
            posteriors = List.copyOf(posteriors);
        }

        @Override
        public GaussianPosteriors slice(int from, int to) {
            return new GaussianPosteriors(posteriors.subList(from, to));
        }

        /** One image's posterior: mean and log-variance of each latent dimension, and z. */
        public record Posterior(float[] mean, float[] logVariance, float[] z) {
        }

        @Override
        public List<Posterior> items() {
            return posteriors;
        }
    }

    /**
     * The shape C x h x w of a spatial latent: a feature map of C channels over an h x w grid (a convolutional VAE
     * without a dense bottleneck, such as latent diffusion's autoencoder).
     */
    record MapShape(int channels, int height, int width) {

        /** Numbers per map: C x h x w. */
        public int size() {
            return channels * height * width;
        }

        /** A map held channel-major (C*h*w numbers) as C lists of h rows of w numbers. */
        public float[][][] nest(float[] flat) {
            float[][][] nested = new float[channels][height][width];
            for (int c = 0, at = 0; c < channels; c++) {
                for (int r = 0; r < height; r++, at += width) {
                    System.arraycopy(flat, at, nested[c][r], 0, width);
                }
            }
            return nested;
        }

        @Override
        public String toString() {
            return channels + "x" + height + "x" + width;
        }
    }

    /**
     * Spatial latents z, one C x h x w map per image, held channel-major (C*h*w numbers); JSON nests each map as C
     * lists of h rows of w numbers.
     */
    record GaussianMaps(List<float[]> maps, MapShape shape) implements PerImage<float[]> {

        public GaussianMaps {
            maps = Collections.unmodifiableList(new ArrayList<>(maps));
        }

        @Override
        public GaussianMaps slice(int from, int to) {
            return new GaussianMaps(maps.subList(from, to), shape);
        }

        @Override
        public List<float[]> items() {
            return maps;
        }

        /** The maps as JSON writes them, nested by {@link #shape()}. */
        public List<float[][][]> nested() {
            return maps.stream().map(shape::nest).toList();
        }

        @Override
        public Object json() {
            return nested();
        }

        @Override
        public Object json(int i) {
            return shape.nest(maps.get(i));
        }
    }

    /**
     * The approximate posterior of each image over a spatial latent, q(z|x) = N(mean, diag(exp(logVariance))) with mean,
     * log-variance and z each one C x h x w map held channel-major; JSON nests each of the three by {@link #shape()}.
     */
    record GaussianMapPosteriors(List<GaussianPosteriors.Posterior> posteriors, MapShape shape)
            implements PerImage<GaussianPosteriors.Posterior> {

        public GaussianMapPosteriors {
            posteriors = List.copyOf(posteriors);
        }

        @Override
        public GaussianMapPosteriors slice(int from, int to) {
            return new GaussianMapPosteriors(posteriors.subList(from, to), shape);
        }

        @Override
        public List<GaussianPosteriors.Posterior> items() {
            return posteriors;
        }

        /** The posteriors as JSON writes them, each map nested by {@link #shape()}. */
        public List<NestedPosterior> nested() {
            return posteriors.stream()
                    .map(p -> new NestedPosterior(shape.nest(p.mean()), shape.nest(p.logVariance()), shape.nest(p.z()))).toList();
        }

        @Override
        public Object json() {
            return nested();
        }

        @Override
        public Object json(int i) {
            return nested().get(i);
        }

        /** One image's posterior in its JSON form: mean, log-variance and z, each C lists of h rows of w numbers. */
        public record NestedPosterior(float[][][] mean, float[][][] logVariance, float[][][] z) {
        }
    }

    /** One grid of code indices per image, rows of columns. */
    record CodeGrids(List<int[][]> grids) implements PerImage<int[][]> {

        public CodeGrids {
            grids = Collections.unmodifiableList(new ArrayList<>(grids));
        }

        @Override
        public CodeGrids slice(int from, int to) {
            return new CodeGrids(grids.subList(from, to));
        }

        @Override
        public List<int[][]> items() {
            return grids;
        }

        /** Grids of one size as one array in row-major order, (N, h, w), the layout of npy arrays and tensors. */
        public static Flat flatten(List<int[][]> grids) {
            int height = grids.isEmpty() ? 0 : grids.getFirst().length;
            int width = height == 0 ? 0 : grids.getFirst()[0].length;
            int[] codes = new int[grids.size() * height * width];
            int at = 0;
            for (int[][] grid : grids) {
                for (int[] row : grid) {
                    System.arraycopy(row, 0, codes, at, width);
                    at += width;
                }
            }
            return new Flat(grids.size(), height, width, codes);
        }

        /**
         * The inverse of {@link #flatten}: {@code count} grids of {@code height} x {@code width} from values in row-major
         * order.
         *
         * @param code the code at a flat index; it throws for a value that is no code, naming where it was sent
         */
        public static List<int[][]> unflatten(int count, int height, int width, IntUnaryOperator code) {
            List<int[][]> grids = new ArrayList<>(count);
            for (int n = 0, at = 0; n < count; n++) {
                int[][] grid = new int[height][width];
                for (int[] row : grid) {
                    for (int c = 0; c < width; c++) {
                        row[c] = code.applyAsInt(at++);
                    }
                }
                grids.add(grid);
            }
            return grids;
        }

        /** Grids flattened: {@code codes} holds {@code count} x {@code height} x {@code width} codes in row-major order. */
        public record Flat(int count, int height, int width, int[] codes) {
        }
    }

    /** One grid of codes per level and image, levels coarsest first; every level holds the same number of images. */
    record CodeHierarchy(Map<String, List<int[][]>> levels) implements Latents {

        public CodeHierarchy {
            Map<String, List<int[][]>> copy = new LinkedHashMap<>();
            levels.forEach((name, grids) -> copy.put(name, Collections.unmodifiableList(new ArrayList<>(grids))));
            levels = Collections.unmodifiableMap(copy);
        }

        /** One level's grids, one per image. */
        public List<int[][]> level(String name) {
            List<int[][]> grids = levels.get(name);
            if (grids == null) {
                throw new IllegalArgumentException("no level " + name + " in " + levels.keySet());
            }
            return grids;
        }

        /** Images described; where levels disagree (a caller's mistake, which models refuse), the fewest. */
        @Override
        public int count() {
            return levels.values().stream().mapToInt(List::size).min().orElse(0);
        }

        @Override
        public Object json() {
            return levels;
        }

        @Override
        public Object json(int i) {
            Map<String, int[][]> image = new LinkedHashMap<>();
            levels.forEach((name, grids) -> image.put(name, grids.get(i)));
            return image;
        }

        @Override
        public CodeHierarchy slice(int from, int to) {
            Map<String, List<int[][]>> sliced = new LinkedHashMap<>();
            levels.forEach((name, grids) -> sliced.put(name, grids.subList(from, to)));
            return new CodeHierarchy(sliced);
        }
    }

    /** Encoder outputs before quantisation, D x h x w channel-major per image (VQ-VAE). */
    record UnquantisedVectors(List<float[]> vectors) implements PerImage<float[]> {

        public UnquantisedVectors {
            vectors = Collections.unmodifiableList(new ArrayList<>(vectors));
        }

        @Override
        public UnquantisedVectors slice(int from, int to) {
            return new UnquantisedVectors(vectors.subList(from, to));
        }

        @Override
        public List<float[]> items() {
            return vectors;
        }
    }

    /**
     * One latent as a caller sent it to decode: its numbers in reading order, and how the JSON nested them.
     *
     * @param values the numbers, outermost list first (a nested C x h x w map arrives channel-major)
     * @param nesting the lengths of the nested lists, outermost first: {@code [n]} for a flat list of n numbers,
     *     {@code [C, h, w]} for C lists of h lists of w numbers
     */
    record Sent(float[] values, int[] nesting) {

        /** A flat list of numbers. */
        public static Sent flat(float[] values) {
            return new Sent(values, new int[] {values.length});
        }

        String describeNesting() {
            return java.util.Arrays.stream(nesting).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining("x"));
        }
    }

    /**
     * What a caller sent to decode, in the form {@code spec} takes; exactly one of the three is given. Elements may be
     * null or of any length here: the model checks them ({@link LoadedModel#checkDecode}). Latents of a spatial
     * Gaussian space may come nested as its maps (C x h x w, as {@code /sample} and {@code /encode} answer them) or flat
     * (C*h*w numbers, channel-major); those of a vector space come flat.
     *
     * @param latents Gaussian latents ({@code latents} in JSON)
     * @param codes codes as Jackson read them ({@code codes}; see {@link #parseCodes})
     * @param vectors unquantised encoder outputs ({@code vectors})
     * @throws InvalidInferenceInputException as {@link #parseCodes} does; {@link Kind#INVALID_LATENT} for latents
     *     nested otherwise than the model's latent space
     */
    static Latents fromRequest(@Nullable List<@Nullable Sent> latents, @Nullable Object codes, @Nullable List<float[]> vectors,
            LatentSpec spec) {
        if (latents != null) {
            if (spec instanceof LatentSpec.SpatialGaussian spatial) {
                MapShape shape = new MapShape(spatial.channels(), spatial.grid().get(0), spatial.grid().get(1));
                return new GaussianMaps(values(latents, shape), shape);
            }
            return new GaussianVectors(values(latents, null));
        }
        if (vectors != null) {
            return new UnquantisedVectors(vectors);
        }
        return parseCodes(java.util.Objects.requireNonNull(codes, "latents, codes or vectors"), spec);
    }

    /**
     * The numbers of each latent; nested ones must be nested as {@code shape} (C x h x w), or not at all when the model's
     * latents are vectors ({@code shape} null). Only the nesting is checked here; lengths are the model's to check.
     */
    private static List<float[]> values(List<@Nullable Sent> latents, @Nullable MapShape shape) {
        List<float[]> values = new ArrayList<>(latents.size());
        for (int i = 0; i < latents.size(); i++) {
            Sent latent = latents.get(i);
            if (latent != null && latent.nesting().length > 1) {
                int[] expected = shape == null ? null : new int[] {shape.channels(), shape.height(), shape.width()};
                if (!java.util.Arrays.equals(latent.nesting(), expected)) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "latent " + i + " is nested "
                            + latent.describeNesting() + "; " + (shape == null
                                    ? "this model's latents are vectors: send a flat list of numbers per image"
                                    : "this model's latents are " + shape + " maps: send " + shape.channels() + " lists of "
                                            + shape.height() + " rows of " + shape.width() + " numbers per image, or "
                                            + shape.size() + " numbers channel-major"));
                }
            }
            values.add(latent == null ? null : latent.values());
        }
        return values;
    }

    /**
     * Codes as a caller sent them in JSON ({@code codes} of {@code /decode}), read in the form {@code spec} takes: a
     * list of grids for a code grid, an object of such lists keyed by level for a code hierarchy. Only the form is
     * checked here; grid sizes and code ranges are the model's to check.
     *
     * @param json what Jackson read: lists, maps and numbers
     * @throws InvalidInferenceInputException {@link Kind#MALFORMED_CODES} for a value in no code form, or a hierarchy
     *     whose levels are not the model's; {@link Kind#INVALID_LATENT} for the other form than the model takes, or
     *     codes sent to a model whose latents are not codes
     */
    static Latents parseCodes(Object json, LatentSpec spec) {
        return switch (spec) {
            case LatentSpec.CodeGrid grid -> {
                if (json instanceof Map<?, ?>) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model has one level of codes: send "
                            + "{\"codes\": [" + describe(grid.grid()) + " grid, ...]}, a list of grids");
                }
                yield new CodeGrids(grids(json, "codes"));
            }
            case LatentSpec.CodeHierarchy hierarchy -> {
                if (!(json instanceof Map<?, ?> map)) {
                    StringBuilder form = new StringBuilder();
                    hierarchy.levels().forEach((name, level) -> form.append(form.isEmpty() ? "" : ", ").append('"').append(name)
                            .append("\": [").append(describe(level.grid())).append(" grid, ...]"));
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model has " + hierarchy.levels().size()
                            + " levels of codes: send {\"codes\": {" + form + "}}");
                }
                if (!map.keySet().equals(Set.copyOf(hierarchy.levelNames()))) {
                    throw new InvalidInferenceInputException(Kind.MALFORMED_CODES, "codes as an object must have exactly the keys "
                            + String.join(" and ", hierarchy.levelNames()) + ", not " + map.keySet());
                }
                Map<String, List<int[][]>> levels = new LinkedHashMap<>();
                for (String name : hierarchy.levelNames()) {
                    levels.put(name, grids(map.get(name), "codes." + name));
                }
                yield new CodeHierarchy(levels);
            }
            case LatentSpec.Gaussian g -> throw notCodes("vectors");
            case LatentSpec.SpatialGaussian g -> throw notCodes("maps");
        };
    }

    private static InvalidInferenceInputException notCodes(String kind) {
        return new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model's latents are Gaussian " + kind + ", not codes: "
                + "send {\"latents\": [[...], ...]}");
    }

    private static String describe(List<Integer> grid) {
        return grid.get(0) + "x" + grid.get(1);
    }

    /** A list of grids, each a list of rows of integer codes. */
    private static List<int[][]> grids(Object value, String path) {
        if (!(value instanceof List<?> list)) {
            throw malformed(path + " must be a list of grids (lists of rows of integer codes)");
        }
        List<int[][]> grids = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            grids.add(grid(list.get(i), path + "[" + i + "]"));
        }
        return grids;
    }

    private static int[][] grid(Object value, String path) {
        if (!(value instanceof List<?> rows)) {
            throw malformed(path + " must be a grid: a list of rows of integer codes");
        }
        int[][] grid = new int[rows.size()][];
        for (int r = 0; r < grid.length; r++) {
            if (!(rows.get(r) instanceof List<?> row)) {
                throw malformed(path + "[" + r + "] must be a row: a list of integer codes");
            }
            grid[r] = new int[row.size()];
            for (int c = 0; c < row.size(); c++) {
                if (!(row.get(c) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                        || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                    throw malformed(path + "[" + r + "][" + c + "] must be an integer code, not " + row.get(c));
                }
                grid[r][c] = n.intValue();
            }
        }
        return grid;
    }

    private static InvalidInferenceInputException malformed(String detail) {
        return new InvalidInferenceInputException(Kind.MALFORMED_CODES, detail);
    }
}
