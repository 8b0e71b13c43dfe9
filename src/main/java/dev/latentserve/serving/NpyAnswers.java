package dev.latentserve.serving;

import dev.latentserve.api.ResponseFormats;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.Latents;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.NpyWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Answers as NumPy arrays: images as one npy array (N, C, H, W), latents and codes as one npy array or an npz archive
 * of several, named as the JSON answer's fields.
 */
final class NpyAnswers {

    private NpyAnswers() {
    }

    /** The element type of an image answer: {@code uint8} (0..255, as PNG rounds) or {@code float32} in [0, 1]. */
    enum PixelType {
        UINT8, FLOAT32;

        /**
         * The {@code dtype} query parameter: absent is uint8.
         *
         * @throws InvalidInferenceInputException (400) for another value
         */
        static PixelType of(@Nullable String dtype) {
            if (dtype == null || dtype.equals("uint8")) {
                return UINT8;
            }
            if (dtype.equals("float32")) {
                return FLOAT32;
            }
            throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.OUT_OF_RANGE, "dtype must be uint8 "
                    + "(pixels 0..255, the default) or float32 (pixels in [0, 1]), not '" + dtype + "'");
        }
    }

    /** Images as one npy array (N, C, H, W) of {@code type}. */
    static ResponseEntity<byte[]> images(ImageShape shape, float[][] images, PixelType type) {
        long[] dims = {images.length, shape.channels(), shape.height(), shape.width()};
        int size = shape.size();
        byte[] npy;
        if (type == PixelType.FLOAT32) {
            float[] values = new float[images.length * size];
            for (int n = 0; n < images.length; n++) {
                System.arraycopy(images[n], 0, values, n * size, size);
            }
            npy = NpyWriter.float32(dims, values);
        } else {
            byte[] values = new byte[images.length * size];
            for (int n = 0; n < images.length; n++) {
                for (int i = 0; i < size; i++) {
                    values[n * size + i] = (byte) ImageCodec.toByte(images[n][i]);
                }
            }
            npy = NpyWriter.uint8(dims, values);
        }
        return ResponseEntity.ok().contentType(ResponseFormats.NPY).body(npy);
    }

    /**
     * What {@code /encode} answers, as {@code format} ({@link ResponseFormats#NPY}, {@code NPZ} or {@code ZIP}).
     * Gaussian posteriors: npy of z (N, D), or (N, C, h, w) maps, which is the mean unless z was drawn; npz of
     * {@code mean}, {@code logvar} and {@code z}. Code grids: npy of int32 {@code codes} (N, h, w); npz of
     * {@code codes}, and {@code vectors} (N, D*h*w) when asked for. A code hierarchy: npz of one int32 (N, h, w) array
     * per level.
     *
     * @throws ResponseFormats.NotAcceptableException (406) for npy where the answer is several arrays
     */
    static ResponseEntity<byte[]> encoded(LoadedModel.Encoded encoded, MediaType format) {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        switch (encoded.latents()) {
            case Latents.GaussianPosteriors p -> posteriors(arrays, p.items(), null);
            case Latents.GaussianMapPosteriors p -> posteriors(arrays, p.items(), p.shape());
            case Latents.GaussianVectors z -> arrays.put("z", floats(z.items(), null));
            case Latents.GaussianMaps z -> arrays.put("z", floats(z.items(), z.shape()));
            case Latents.CodeGrids grids -> arrays.put("codes", codes(grids.items()));
            case Latents.CodeHierarchy hierarchy -> hierarchy.levels().forEach((name, grids) -> arrays.put(name, codes(grids)));
            case Latents.UnquantisedVectors v -> arrays.put("vectors", floats(v.items(), null));
        }
        if (encoded.vectors() != null) {
            arrays.put("vectors", floats(encoded.vectors().items(), null));
        }
        if (!ResponseFormats.NPY.equals(format)) {
            return ResponseEntity.ok().contentType(format).body(NpyWriter.npz(arrays));
        }
        boolean several = encoded.latents() instanceof Latents.CodeHierarchy || encoded.vectors() != null;
        if (several) {
            throw new ResponseFormats.NotAcceptableException(ResponseFormats.NPY_VALUE + " (this answer is "
                    + arrays.size() + " arrays, " + String.join(", ", arrays.keySet()) + ", so it comes as an npz archive)",
                    List.of(MediaType.APPLICATION_JSON, ResponseFormats.NPZ, ResponseFormats.ZIP));
        }
        return ResponseEntity.ok().contentType(ResponseFormats.NPY).body(arrays.values().iterator().next());
    }

    /** z first, the one array an npy answer carries; then the posterior's mean and log-variance. */
    private static void posteriors(Map<String, byte[]> arrays, List<Latents.GaussianPosteriors.Posterior> posteriors,
            Latents.@Nullable MapShape map) {
        arrays.put("z", floats(posteriors.stream().map(Latents.GaussianPosteriors.Posterior::z).toList(), map));
        arrays.put("mean", floats(posteriors.stream().map(Latents.GaussianPosteriors.Posterior::mean).toList(), map));
        arrays.put("logvar", floats(posteriors.stream().map(Latents.GaussianPosteriors.Posterior::logVariance).toList(), map));
    }

    /** Rows of floats as (N, length), or (N, C, h, w) when {@code map} gives their shape. */
    private static byte[] floats(List<float[]> rows, Latents.@Nullable MapShape map) {
        int length = rows.isEmpty() ? 0 : rows.getFirst().length;
        float[] values = new float[rows.size() * length];
        for (int n = 0; n < rows.size(); n++) {
            System.arraycopy(rows.get(n), 0, values, n * length, length);
        }
        long[] dims = map == null ? new long[] {rows.size(), length}
                : new long[] {rows.size(), map.channels(), map.height(), map.width()};
        return NpyWriter.float32(dims, values);
    }

    /** Grids of codes as int32 (N, h, w). */
    private static byte[] codes(List<int[][]> grids) {
        Latents.CodeGrids.Flat flat = Latents.CodeGrids.flatten(grids);
        return NpyWriter.int32(new long[] {flat.count(), flat.height(), flat.width()}, flat.codes());
    }
}
