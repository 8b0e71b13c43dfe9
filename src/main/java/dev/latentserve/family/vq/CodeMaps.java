package dev.latentserve.family.vq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.util.List;

/**
 * A training and a test set encoded once into code maps, for fitting priors. Each image's maps are packed as one
 * one-channel "image" (1, 1, cells) of code indices, the first level's map followed by the next's, so that the common
 * training loop shuffles and batches every level's maps together.
 *
 * @param levels the levels whose maps are packed, in packing order
 */
public record CodeMaps(List<CodebookLevel> levels, ImageData train, ImageData test) {

    /** Images to each level's code maps (n, h, w) as int64, in level order, made in the batch's scope. */
    @FunctionalInterface
    public interface Encoder {
        List<NDArray> codes(NDManager scope, NDArray images);
    }

    /** Encodes {@code train} and {@code test} with {@code net}, in batches opened under {@code parent}. */
    public static CodeMaps encode(NDManager parent, QuantizedAutoencoder net, ImageData train, ImageData test) {
        return encode(parent, net.levels(), (scope, images) -> net.encodeCodes(new ParameterStore(scope, false), images), train, test);
    }

    /**
     * Encodes {@code train} and {@code test} with {@code encoder}, whose codes are those of {@code levels}, in batches
     * opened under {@code parent}.
     */
    public static CodeMaps encode(NDManager parent, List<CodebookLevel> levels, Encoder encoder, ImageData train, ImageData test) {
        return new CodeMaps(levels, encode(parent, levels, encoder, train), encode(parent, levels, encoder, test));
    }

    /** Every image's code maps, packed; see {@link CodeMaps}. */
    private static ImageData encode(NDManager parent, List<CodebookLevel> levels, Encoder encoder, ImageData data) {
        int size = cells(levels);
        float[] codes = new float[data.count() * size];
        TrainingLoop.forEachBatch(parent, data, TrainingLoop.identity(data.count()), data.count(), CodebookObjective.EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    long n = to - from;
                    NDList flat = new NDList();
                    for (NDArray maps : encoder.codes(scope, images)) {
                        flat.add(maps.reshape(n, -1));
                    }
                    float[] packed = NDArrays.concat(flat, 1).toType(DataType.FLOAT32, false).toFloatArray();
                    System.arraycopy(packed, 0, codes, from * size, packed.length);
                });
        return ImageData.ofFloats(new ImageShape(1, 1, size), codes);
    }

    /** The index in {@link #levels()} of the level named {@code name}. */
    public int indexOf(String name) {
        for (int i = 0; i < levels.size(); i++) {
            if (levels.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no level '" + name + "' among " + levels.stream().map(CodebookLevel::name).toList());
    }

    /** Code positions per image, over all levels. */
    public int cells() {
        return cells(levels);
    }

    /** The shapes (n, h, w) of n images' maps, one per level. */
    public Shape[] shapes(long n) {
        return levels.stream().map(level -> level.maps(n)).toArray(Shape[]::new);
    }

    /** Packed maps (n, cells) split into each level's maps (n, h, w), in level order. */
    public NDList unpack(NDArray packed) {
        long n = packed.getShape().get(0);
        NDList maps = new NDList(levels.size());
        int at = 0;
        for (CodebookLevel level : levels) {
            maps.add(packed.get(new NDIndex(":, {}:{}", at, at + level.cells())).reshape(level.maps(n)));
            at += level.cells();
        }
        return maps;
    }

    private static int cells(List<CodebookLevel> levels) {
        return levels.stream().mapToInt(CodebookLevel::cells).sum();
    }
}
