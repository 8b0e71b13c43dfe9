package dev.latentserve.serving;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.PreviewCodes;
import dev.latentserve.family.SamplingWatch;
import dev.latentserve.image.ImageShape;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One /sample request's watch over the sampling loop it runs in: cancels the loop's rows for the request once its
 * caller went away or its {@code request-timeout} passed (and counts the samples so dropped in
 * {@code latentserve.sampling.cancelled}), and tells a streaming caller each position's progress and, every
 * {@code previewEvery} rows, a preview to decode. Progress is reported over all levels: a VQ-VAE-2 draws its top
 * level's positions, then its bottom level's.
 */
final class SampleWatch implements SamplingWatch {

    /** What a streaming caller hears; called on the engine's thread, so each returns at once. */
    interface Listener {

        /** Rows between previews; 0 for none. */
        int previewEvery();

        void progress(Progress progress);

        void preview(Preview preview);
    }

    /**
     * @param level the level being drawn: {@code codes} (VQ-VAE), {@code top} or {@code bottom} (VQ-VAE-2)
     * @param position positions of that level drawn, 1 to {@code positions}
     * @param positions rows x columns of the level's code map
     * @param fraction positions drawn over all levels' positions, in (0, 1]
     * @param elapsedMs milliseconds since the request was accepted (queueing included)
     */
    record Progress(String level, int position, int positions, double fraction, long elapsedMs) {
    }

    /**
     * @param rows complete rows of {@code level}
     * @param shape each image's shape
     * @param images decodes the partial codes to (count) C*H*W images in [0, 1]; call it off the engine's thread
     */
    record Preview(String level, int rows, double fraction, long elapsedMs, ImageShape shape, Supplier<float[][]> images) {
    }

    private final String model;
    private final LoadedModel loaded;
    private final LatentSpec latent;
    /** Positions per level, coarsest first. */
    private final Map<String, Integer> levelPositions;
    private final int count;
    private final MeterRegistry meters;
    private final @Nullable Listener listener;
    private final long started = System.nanoTime();
    private final AtomicReference<@Nullable Reason> cancelled = new AtomicReference<>();
    private final AtomicBoolean counted = new AtomicBoolean();
    /** Finished levels' codes, which a preview of a later level decodes with. */
    private final PreviewCodes previews;

    SampleWatch(String model, LoadedModel loaded, LatentSpec latent, int count, MeterRegistry meters, @Nullable Listener listener) {
        this.model = model;
        this.loaded = loaded;
        this.latent = latent;
        this.levelPositions = latent.codePositions();
        this.count = count;
        this.meters = meters;
        this.listener = listener;
        this.previews = new PreviewCodes(latent);
    }

    /** Stops the request's rows at the loop's next position; the first reason given is kept. */
    void cancel(Reason reason) {
        cancelled.compareAndSet(null, reason);
    }

    /**
     * Cancels the request if {@code error} ended its queued future: the caller went away (cancelled) or its timeout
     * passed. Errors of the engine itself end the loop anyway.
     */
    void ended(@Nullable Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CancellationException) {
            cancel(Reason.CLIENT_GONE);
        } else if (cause instanceof ServiceOverloadedException overloaded) {
            cancel(overloaded.reason());
        }
    }

    @Override
    public boolean cancelled() {
        return cancelled.get() != null;
    }

    @Override
    public void stopped(String level, int position) {
        if (counted.getAndSet(true)) {
            // A VQ-VAE-2's bottom level lets go of a request its top level already dropped.
            return;
        }
        Reason reason = cancelled.get();
        Counter.builder("latentserve.sampling.cancelled")
                .description("samples whose drawing stopped between two positions because the caller went away or timed out")
                .baseUnit("samples")
                .tags("model", model, "reason", reason == null ? "unknown" : reason.type())
                .register(meters)
                .increment(count);
    }

    @Override
    public void progress(String level, int position, int positions) {
        if (listener != null) {
            listener.progress(new Progress(level, position, positions, fraction(level, position, positions), elapsedMs()));
        }
    }

    @Override
    public int previewEvery() {
        return listener == null ? 0 : listener.previewEvery();
    }

    @Override
    public void preview(String level, int rows, int[][][] grids) {
        Latents codes = previews.codes(level, grids);
        if (listener != null && codes != null) {
            int width = grids[0][0].length;
            listener.preview(new Preview(level, rows, fraction(level, rows * width, grids[0].length * width), elapsedMs(),
                    loaded.shape(), () -> loaded.decode(List.of(codes)).getFirst()));
        }
    }

    @Override
    public void levelDone(String level, int[][][] grids) {
        previews.levelDone(level, grids);
    }

    /** Of all levels' positions; of the level's own where the latent space does not name it. */
    private double fraction(String level, int position, int positions) {
        if (!levelPositions.containsKey(level)) {
            return position / (double) positions;
        }
        int before = 0;
        int total = 0;
        boolean reached = false;
        for (Map.Entry<String, Integer> entry : levelPositions.entrySet()) {
            reached |= entry.getKey().equals(level);
            before += reached ? 0 : entry.getValue();
            total += entry.getValue();
        }
        return total == 0 ? 1 : Math.min(1, (before + position) / (double) total);
    }

    private long elapsedMs() {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
