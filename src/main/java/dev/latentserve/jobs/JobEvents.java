package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-Sent Events for one job: {@code state} on every state change, {@code progress} when the phase or step
 * moves, {@code epoch} with each finished epoch's metrics, {@code preview} with a sample job's newest preview (where
 * it runs in this process and asked for previews); the stream ends when the job does. It follows
 * the job through the database (with this worker's live progress when it runs here), so any replica can
 * serve the stream of a job running on any worker.
 */
@Component
class JobEvents implements DisposableBean {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration MAX_STREAM = Duration.ofHours(24);

    private final JobService jobs;
    private final JobPreviews previews;
    private final ScheduledExecutorService poller =
            Executors.newScheduledThreadPool(1, Thread.ofPlatform().name("latentserve-job-events").daemon().factory());

    JobEvents(JobService jobs, JobPreviews previews) {
        this.jobs = jobs;
        this.previews = previews;
    }

    SseEmitter stream(String id) {
        Job first = jobs.get(id);
        SseEmitter emitter = new SseEmitter(MAX_STREAM.toMillis());
        Follower follower = new Follower(id, emitter);
        follower.publish(first);
        if (!first.state().isTerminal()) {
            follower.task = poller.scheduleWithFixedDelay(follower::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
            emitter.onCompletion(follower::stop);
            emitter.onTimeout(follower::stop);
            emitter.onError(error -> follower.stop());
        }
        return emitter;
    }

    @Override
    public void destroy() {
        poller.shutdownNow();
    }

    /** Compares each new view of the job with the last one sent and sends the differences. */
    private final class Follower {
        private final String id;
        private final SseEmitter emitter;
        private volatile @Nullable ScheduledFuture<?> task;
        private @Nullable JobState state;
        private long step = -1;
        private int epoch = -1;
        private @Nullable String phase;
        private int epochsSent;
        private long previewSent;

        Follower(String id, SseEmitter emitter) {
            this.id = id;
            this.emitter = emitter;
        }

        void poll() {
            try {
                publish(jobs.get(id));
            } catch (RuntimeException e) {
                emitter.completeWithError(e);
                stop();
            }
        }

        synchronized void publish(Job job) {
            try {
                JobProgress progress = job.progress();
                while (epochsSent < progress.history().size()) {
                    EpochMetrics metrics = progress.history().get(epochsSent++);
                    emitter.send(SseEmitter.event().name("epoch").data(metrics));
                }
                JobPreviews.Preview preview = previews.latest(id).orElse(null);
                if (preview != null && preview.sequence() > previewSent) {
                    previewSent = preview.sequence();
                    emitter.send(SseEmitter.event().name("preview").data(preview));
                }
                if (progress.step() != step || progress.epoch() != epoch || !Objects.equals(progress.phase(), phase)) {
                    step = progress.step();
                    epoch = progress.epoch();
                    phase = progress.phase();
                    emitter.send(SseEmitter.event().name("progress").data(progressEvent(job)));
                }
                if (!Objects.equals(job.state(), state)) {
                    state = job.state();
                    emitter.send(SseEmitter.event().name("state").data(stateEvent(job)));
                }
                if (job.state().isTerminal()) {
                    emitter.complete();
                    stop();
                }
            } catch (IOException e) {
                // The client went away.
                stop();
            }
        }

        void stop() {
            ScheduledFuture<?> running = task;
            if (running != null) {
                running.cancel(false);
            }
        }
    }

    private static Map<String, Object> stateEvent(Job job) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", job.id());
        event.put("state", job.state());
        event.put("attempts", job.attempts());
        event.put("error", job.error());
        event.put("resultVersion", job.resultVersion());
        return event;
    }

    private static Map<String, Object> progressEvent(Job job) {
        JobProgress p = job.progress();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("phase", p.phase());
        event.put("unit", p.unit());
        event.put("epoch", p.epoch());
        event.put("epochs", p.epochs());
        event.put("step", p.step());
        event.put("stepsPerEpoch", p.stepsPerEpoch());
        event.put("lastLoss", p.lastLoss());
        event.put("imagesPerSecond", p.imagesPerSecond());
        event.put("etaSeconds", p.etaSeconds());
        event.put("fraction", p.fraction());
        return event;
    }
}
