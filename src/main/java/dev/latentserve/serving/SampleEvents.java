package dev.latentserve.serving;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemHandler;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.serving.InferenceResults.SampleOutcome;
import dev.latentserve.serving.InferenceResults.Sampled;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A /sample answered as Server-Sent Events: {@code progress} after every position, {@code preview} every
 * {@code previewEvery} rows, then {@code result} (the JSON /sample answers), or {@code job} (a request large enough to
 * become a sample job) or {@code error} (an RFC 9457 problem); the stream ends after any of those three. A comment
 * line every {@link #HEARTBEAT} keeps proxies from closing a quiet stream and finds a client that went away while the
 * request waits in its queue (the server notices only when a write fails).
 *
 * <p>The engine's thread only hands events over: one virtual thread per stream writes them, decoding previews
 * there. A client that reads slower than positions are drawn gets the newest progress and the newest preview, never a
 * backlog, so a slow reader cannot hold up the other requests in its batch. A failed write, the emitter's timeout or
 * error cancels the request, which stops its sampling loop at the next position.
 */
@Component
class SampleEvents implements DisposableBean {

    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(SampleEvents.class);

    private final ServingProperties properties;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("latentserve-sample-heartbeat").daemon().factory());

    SampleEvents(ServingProperties properties) {
        this.properties = properties;
    }

    /**
     * Starts the request and streams it.
     *
     * @param start submits the request with the listener to tell; what it throws is answered as a problem, before
     *     any event
     * @param toResult the {@code result} event's data, as /sample's JSON answer
     * @param path the request's path, the problems' {@code instance}
     */
    ResponseEntity<SseEmitter> stream(int previewEvery, StartSampling start, Function<Sampled, Object> toResult, String path)
            throws IOException {
        Stream stream = new Stream(previewEvery, toResult, path);
        stream.work = start.submit(stream);
        // The batcher's timeout answers first (an error event); the emitter's is only a backstop.
        SseEmitter emitter = new SseEmitter(properties.requestTimeout().plusSeconds(10).toMillis());
        stream.emitter = emitter;
        emitter.onTimeout(stream::abandon);
        emitter.onError(error -> stream.abandon());
        emitter.onCompletion(stream::abandon);
        stream.heartbeat = heartbeats.scheduleWithFixedDelay(stream::beat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                TimeUnit.MILLISECONDS);
        stream.work.whenComplete((outcome, error) -> stream.finish(outcome, error));
        Thread.ofVirtual().name("latentserve-sample-events").start(stream::send);
        return ResponseEntity.ok()
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                // Tells nginx not to buffer the stream (it would hold every event until the end).
                .header("X-Accel-Buffering", "no")
                .body(emitter);
    }

    /** Submits a sample request that tells {@code listener}; see {@link InferenceService}. */
    @FunctionalInterface
    interface StartSampling {
        CompletableFuture<SampleOutcome> submit(SampleWatch.Listener listener) throws IOException;
    }

    @Override
    public void destroy() {
        heartbeats.shutdownNow();
    }

    /** One request's events: a mailbox the engine fills and the writer empties, newest progress and preview only. */
    private final class Stream implements SampleWatch.Listener {

        private final int previewEvery;
        private final Function<Sampled, Object> toResult;
        private final String path;
        private volatile CompletableFuture<SampleOutcome> work = new CompletableFuture<>();
        private volatile @Nullable SseEmitter emitter;
        private volatile @Nullable ScheduledFuture<?> heartbeat;
        // Guarded by this.
        private SampleWatch.@Nullable Progress progress;
        private SampleWatch.@Nullable Preview preview;
        private boolean beat;
        private boolean finished;
        private boolean gone;
        private @Nullable SampleOutcome outcome;
        private @Nullable Throwable error;

        Stream(int previewEvery, Function<Sampled, Object> toResult, String path) {
            this.previewEvery = previewEvery;
            this.toResult = toResult;
            this.path = path;
        }

        @Override
        public int previewEvery() {
            return previewEvery;
        }

        @Override
        public synchronized void progress(SampleWatch.Progress progress) {
            this.progress = progress;
            notifyAll();
        }

        @Override
        public synchronized void preview(SampleWatch.Preview preview) {
            this.preview = preview;
            notifyAll();
        }

        synchronized void beat() {
            beat = true;
            notifyAll();
        }

        synchronized void finish(@Nullable SampleOutcome outcome, @Nullable Throwable error) {
            this.outcome = outcome;
            this.error = error;
            finished = true;
            notifyAll();
        }

        /** The client went away or the emitter ended: stop the sampling and the writer. */
        void abandon() {
            synchronized (this) {
                gone = true;
                notifyAll();
            }
            work.cancel(false);
            ScheduledFuture<?> beating = heartbeat;
            if (beating != null) {
                beating.cancel(false);
            }
        }

        /** The writer: sends what the mailbox holds, oldest kind first, until the last event or the client is gone. */
        void send() {
            SseEmitter out = emitter;
            try {
                while (true) {
                    SampleWatch.Progress nextProgress;
                    SampleWatch.Preview nextPreview;
                    boolean nextBeat;
                    boolean last;
                    synchronized (this) {
                        while (!gone && !finished && progress == null && preview == null && !beat) {
                            wait();
                        }
                        if (gone) {
                            return;
                        }
                        nextProgress = progress;
                        nextPreview = preview;
                        nextBeat = beat;
                        last = finished;
                        progress = null;
                        preview = null;
                        beat = false;
                    }
                    if (nextProgress != null) {
                        out.send(SseEmitter.event().name("progress").data(nextProgress));
                    }
                    Map<String, Object> previewEvent = nextPreview == null ? null : previewEvent(nextPreview);
                    if (previewEvent != null) {
                        out.send(SseEmitter.event().name("preview").data(previewEvent));
                    }
                    if (nextBeat && nextProgress == null && nextPreview == null && !last) {
                        out.send(SseEmitter.event().comment("keep-alive"));
                    }
                    if (last) {
                        sendLast(out);
                        return;
                    }
                }
            } catch (IOException | IllegalStateException e) {
                // The client went away (or the emitter timed out): Spring ends the response; stop the sampling.
                log.debug("sample event stream on {} ended early: {}", path, e.toString());
                abandon();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abandon();
                out.complete();
            } catch (RuntimeException e) {
                // A bug of ours: end the stream rather than leave the client waiting for events that never come.
                log.error("sample event stream on {} failed", path, e);
                abandon();
                out.completeWithError(e);
            }
        }

        private void sendLast(SseEmitter out) throws IOException {
            Throwable failure = cause(error);
            if (failure instanceof CancellationException) {
                return;
            }
            Object result = null;
            String name = "error";
            if (failure == null) {
                try {
                    result = switch (outcome) {
                        case Sampled sampled -> toResult.apply(sampled);
                        case InferenceResults.SampleJob job -> job.job();
                        case null -> throw new IllegalStateException("sampling ended without an outcome");
                    };
                    name = outcome instanceof Sampled ? "result" : "job";
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            out.send(SseEmitter.event().name(name).data(failure == null ? result : problem(failure)));
            out.complete();
            ScheduledFuture<?> beating = heartbeat;
            if (beating != null) {
                beating.cancel(false);
            }
        }

        /** The preview's event, or null when its codes failed to decode (the sampling goes on; the log says why). */
        private @Nullable Map<String, Object> previewEvent(SampleWatch.Preview preview) {
            float[][] images;
            try {
                images = preview.images().get();
            } catch (RuntimeException e) {
                log.warn("a preview on {} failed to decode", path, e);
                return null;
            }
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("level", preview.level());
            event.put("rows", preview.rows());
            event.put("fraction", preview.fraction());
            event.put("elapsedMs", preview.elapsedMs());
            event.put("png", Base64.getEncoder().encodeToString(ImageCodec.grid(preview.shape(), Arrays.asList(images),
                    ImageCodec.gridColumns(images.length))));
            return event;
        }

        /** The problem the same failure gets as a plain response ({@link ProblemHandler}). */
        private ProblemDetail problem(Throwable failure) {
            if (!(failure instanceof ProblemException known)) {
                log.error("sampling failed on {}", path, failure);
                return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                        "the server failed to handle this request; the log has the details");
            }
            return problem(known.status(), known.type(), known.title(), known.getMessage());
        }

        private ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
            problem.setType(URI.create(ProblemHandler.TYPE_BASE + type));
            problem.setTitle(title);
            problem.setInstance(URI.create(path));
            return problem;
        }
    }

    private static @Nullable Throwable cause(@Nullable Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
