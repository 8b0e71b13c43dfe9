package dev.latentserve.serving;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.Dtype;
import dev.latentserve.npy.NpyArray;
import dev.latentserve.npy.NpyException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * NumPy arrays sent to {@code /encode}, {@code /reconstruct} and {@code /decode}, read into what the JSON path reads:
 * images as CHW pixels in [0, 1], latents and codes as {@link Latents}. Only little-endian arrays are read, in C or
 * Fortran order. Every refusal is a problem: 422 for a dtype, shape or value the model cannot take.
 */
final class NpyInputs {

    private NpyInputs() {
    }

    /**
     * Images (N, C, H, W), (N, H, W) (one channel) or (N, H, W, C), uint8 (0..255, divided by 255) or float32 in
     * [0, 1]. A 4-d shape that fits the model both ways (H = W = C, such as 3 x 3 x 3) is read channels-first, as
     * PyTorch lays images out; channels-last is read only when channels-first does not fit.
     *
     * @return N images of {@code shape.size()} pixels, CHW
     * @throws NpyException {@code UNSUPPORTED_DTYPE} (422) for another dtype
     * @throws InvalidInferenceInputException {@code IMAGE_SHAPE_MISMATCH} (422) for a shape that is not the model's
     *     images, {@code INVALID_IMAGE} (422) for a float outside [0, 1] or not finite
     */
    static float[][] images(NpyArray array, ImageShape shape) {
        Dtype dtype = array.dtype();
        boolean uint8 = dtype.equals(Dtype.UINT8);
        if (!uint8 && !dtype.equals(Dtype.FLOAT32)) {
            throw unsupported(dtype, "images are uint8 (0..255) or float32 in [0, 1]: send arr.astype(np.uint8) or "
                    + "arr.astype('<f4')");
        }
        long[] d = array.shape();
        int c = shape.channels();
        int h = shape.height();
        int w = shape.width();
        boolean channelsLast;
        if (d.length == 4 && d[1] == c && d[2] == h && d[3] == w) {
            channelsLast = false;
        } else if ((d.length == 4 && d[1] == h && d[2] == w && d[3] == c) || (d.length == 3 && c == 1 && d[1] == h && d[2] == w)) {
            channelsLast = true; // (N, H, W) is channels-last with one channel: the same order of values
        } else {
            throw new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "npy images of shape "
                    + array.header().describeShape() + " do not fit the model, which takes "
                    + ImageInputDecoder.describe(shape) + ": send (N, " + c + ", " + h + ", " + w + ") or (N, " + h + ", " + w
                    + ", " + c + ")" + (c == 1 ? " or (N, " + h + ", " + w + ")" : ""));
        }
        int count = d.length == 0 ? 0 : Math.toIntExact(d[0]);
        float[][] images = new float[count][shape.size()];
        int plane = h * w;
        for (int n = 0; n < count; n++) {
            for (int to = 0; to < shape.size(); to++) {
                int channel = to / plane;
                int pixel = to % plane;
                long from = (long) n * shape.size() + (channelsLast ? (long) pixel * c + channel : to);
                double v = array.doubleAt(from);
                if (uint8) {
                    images[n][to] = (float) v / 255f; // as PNG inputs are read: exactly the same floats
                } else if (v >= 0 && v <= 1) {
                    images[n][to] = (float) v;
                } else {
                    throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "npy float32 value " + v + " at index "
                            + array.numpyIndex(from) + " is outside [0, 1] (or not finite); scale pixels to [0, 1]");
                }
            }
        }
        return images;
    }

    /**
     * Latents to decode, in the form {@code spec} takes: Gaussian vectors (N, D), spatial Gaussian maps (N, C, h, w) or
     * (N, C*h*w), float32 or float64 and finite; code grids (N, h, w) of any integer dtype; a code hierarchy as an npz
     * of one (N, h, w) array per level, named as the levels ({@code top}, {@code bottom}). Sizes and code ranges are the
     * model's to check, as for JSON.
     *
     * @param arrays the npy array under the name "" when one was sent, else the npz archive's arrays by name
     * @throws NpyException {@code UNSUPPORTED_DTYPE} (422) for another dtype
     * @throws InvalidInferenceInputException {@code INVALID_LATENT} (422) for an npy where the model takes an npz or the
     *     other way round, levels that are not the model's, another rank, values that are not finite, or codes beyond
     *     int32
     */
    static Latents latents(Map<String, NpyArray> arrays, LatentSpec spec) {
        if (spec instanceof LatentSpec.CodeHierarchy hierarchy) {
            if (!arrays.keySet().equals(Set.copyOf(hierarchy.levelNames()))) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model has " + hierarchy.levelNames().size()
                        + " levels of codes: send an npz archive (Content-Type: application/x-npz) with exactly the arrays "
                        + String.join(" and ", hierarchy.levelNames()) + " (np.savez(f, " + String.join("=..., ",
                                hierarchy.levelNames()) + "=...)), each (N, h, w) integers, not " + describe(arrays));
            }
            Map<String, List<int[][]>> levels = new LinkedHashMap<>();
            for (String name : hierarchy.levelNames()) {
                levels.put(name, grids(arrays.get(name), name));
            }
            return new Latents.CodeHierarchy(levels);
        }
        NpyArray array = arrays.get("");
        if (array == null) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "this model takes one array, not an npz archive of "
                    + describe(arrays) + ": send it as npy (Content-Type: application/x-npy, np.save)");
        }
        return switch (spec) {
            case LatentSpec.Gaussian g -> {
                requireRank(array, 2, "(N, " + g.dimension() + ") latent vectors");
                yield Latents.fromRequest(vectors(array, null), null, null, spec);
            }
            case LatentSpec.SpatialGaussian s -> {
                int[] map = {s.channels(), s.grid().get(0), s.grid().get(1)};
                if (array.shape().length != 2) {
                    requireRank(array, 4, "(N, " + map[0] + ", " + map[1] + ", " + map[2] + ") latent maps or (N, "
                            + map[0] * map[1] * map[2] + ") flat ones");
                }
                yield Latents.fromRequest(vectors(array, array.shape().length == 4 ? map : null), null, null, spec);
            }
            case LatentSpec.CodeGrid grid -> new Latents.CodeGrids(grids(array, "codes"));
            case LatentSpec.CodeHierarchy h -> throw new IllegalStateException("handled above");
        };
    }

    /**
     * Float32 or float64 rows, one per image, each checked finite.
     *
     * @param nesting a map's C, h and w to nest each row by, or null for flat rows
     */
    private static List<Latents.Sent> vectors(NpyArray array, int @Nullable [] nesting) {
        Dtype dtype = array.dtype();
        if (dtype.kind() != Dtype.Kind.FLOAT || dtype.size() < 4 || !dtype.isLittleEndian()) {
            throw unsupported(dtype, "latents are float32 or float64: send arr.astype('<f4')");
        }
        long[] d = array.shape();
        long length = Arrays.stream(d).skip(1).reduce(1, Math::multiplyExact);
        List<Latents.Sent> sent = new ArrayList<>();
        for (int n = 0; n < d[0]; n++) {
            float[] values = new float[Math.toIntExact(length)];
            for (int i = 0; i < values.length; i++) {
                long at = n * length + i;
                double v = array.doubleAt(at);
                if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "npy " + dtype.name() + " value " + v
                            + " at index " + array.numpyIndex(at) + " is not a finite float32; latents must be finite numbers");
                }
                values[i] = (float) v;
            }
            sent.add(nesting == null ? Latents.Sent.flat(values) : new Latents.Sent(values, nesting));
        }
        return sent;
    }

    /** Integer codes (N, h, w), any integer dtype, each within int32 (the model checks [0, K)). */
    private static List<int[][]> grids(NpyArray array, String name) {
        Dtype dtype = array.dtype();
        if ((dtype.kind() != Dtype.Kind.SIGNED && dtype.kind() != Dtype.Kind.UNSIGNED) || !dtype.isLittleEndian()) {
            throw unsupported(dtype, name + " are integers (int32, int64, int16, uint8, ...): send arr.astype('<i4')");
        }
        requireRank(array, 3, name + " as (N, h, w) integer grids");
        long[] d = array.shape();
        return Latents.CodeGrids.unflatten((int) d[0], (int) d[1], (int) d[2], at -> {
            long code = array.integerAt(at);
            boolean wrapped = dtype.kind() == Dtype.Kind.UNSIGNED && dtype.size() == 8 && code < 0;
            if (wrapped || code < Integer.MIN_VALUE || code > Integer.MAX_VALUE) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, name + " value "
                        + (wrapped ? Long.toUnsignedString(code) : code) + " at index " + array.numpyIndex(at)
                        + " is no code of this model (codes are 0 to K - 1)");
            }
            return (int) code;
        });
    }

    private static void requireRank(NpyArray array, int rank, String what) {
        if (array.shape().length != rank) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "npy array of shape " + array.header().describeShape()
                    + " has " + array.shape().length + " dimensions; this model takes " + what);
        }
    }

    private static String describe(Map<String, NpyArray> arrays) {
        return arrays.containsKey("") ? "one npy array" : "arrays " + arrays.keySet();
    }

    private static NpyException unsupported(Dtype dtype, String what) {
        return new NpyException(NpyException.Kind.UNSUPPORTED_DTYPE, "npy dtype " + dtype.descr() + " (" + dtype.describe()
                + ") is not read here; " + what + (dtype.isLittleEndian() ? "" : " (little-endian)"));
    }
}
