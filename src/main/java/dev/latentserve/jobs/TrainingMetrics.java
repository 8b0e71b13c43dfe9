package dev.latentserve.jobs;

import dev.latentserve.family.TrainingMonitor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;

/** Gauges of the job on this worker: epoch, last loss, images per second, and whether one runs. */
@Component
class TrainingMetrics {

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicReference<TrainingMonitor.StepProgress> last =
            new AtomicReference<>(new TrainingMonitor.StepProgress(0, 0, 0, Double.NaN, 0));

    TrainingMetrics(MeterRegistry registry) {
        Gauge.builder("latentserve.training.active", active, AtomicInteger::get)
                .description("training jobs running on this worker").register(registry);
        Gauge.builder("latentserve.training.epoch", last, r -> r.get().epoch())
                .description("epoch of the running job").register(registry);
        Gauge.builder("latentserve.training.loss", last, r -> r.get().loss())
                .description("last step's training loss (per image)").register(registry);
        Gauge.builder("latentserve.training.images.per.second", last, r -> r.get().imagesPerSecond())
                .description("training throughput of the running job").register(registry);
    }

    void started() {
        active.incrementAndGet();
    }

    void step(TrainingMonitor.StepProgress progress) {
        last.set(progress);
    }

    void finished() {
        active.decrementAndGet();
    }
}
