package dev.latentserve.family;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GradMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * What every served model shares: each call runs in its own child NDManager, closed before returning, on a
 * thread without autograd; closing waits for calls in flight and then frees the DJL models.
 */
public abstract class ServedModel implements LoadedModel {

    private final List<Model> models;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    /** @param models the DJL models to close with this one; the first provides the native-memory scopes */
    protected ServedModel(Model... models) {
        this.models = Arrays.stream(models).filter(Objects::nonNull).toList();
    }

    protected final <T> T run(Function<NDManager, T> work) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new ModelUnloadedException("this model version was deleted while the request waited; "
                        + "GET /v1/models/<name> lists the versions left");
            }
            GradMode.disableOnThisThread();
            try (NDManager scope = models.getFirst().getNDManager().newSubManager()) {
                return work.apply(scope);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    protected static ParameterStore store(NDManager scope) {
        return new ParameterStore(scope, false);
    }

    /** The images as one (N, C, H, W) array in {@code scope}. */
    protected final NDArray batch(NDManager scope, float[][] images) {
        ImageShape shape = shape();
        int size = shape.size();
        float[] flat = new float[images.length * size];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, flat, i * size, size);
        }
        return scope.create(flat, TrainingLoop.imageBatch(images.length, shape));
    }

    /** The array split into {@code n} rows of floats. */
    protected static float[][] rows(NDArray array, int n) {
        float[] flat = array.toFloatArray();
        int width = flat.length / n;
        float[][] result = new float[n][];
        for (int i = 0; i < n; i++) {
            result[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
        return result;
    }

    /** The rows of every request, one after another, as one batch. */
    protected static float[][] concat(List<float[][]> parts) {
        return parts.stream().flatMap(Arrays::stream).toArray(float[][]::new);
    }

    /** Consecutive slices of {@code rows}, one per request, of {@code sizes[i]} rows each. */
    protected static <T> List<T[]> slices(T[] rows, int[] sizes) {
        List<T[]> result = new ArrayList<>(sizes.length);
        int from = 0;
        for (int size : sizes) {
            result.add(Arrays.copyOfRange(rows, from, from + size));
            from += size;
        }
        return result;
    }

    /** Consecutive slices of {@code rows}, one per request, of {@code sizes[i]} rows each. */
    protected static <T> List<List<T>> slices(List<T> rows, int[] sizes) {
        List<List<T>> result = new ArrayList<>(sizes.length);
        int from = 0;
        for (int size : sizes) {
            result.add(List.copyOf(rows.subList(from, from + size)));
            from += size;
        }
        return result;
    }

    @Override
    public final void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                models.forEach(Model::close);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
