package dev.latentserve.serving;

import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Backpressure for inference: each model version has a fixed set of worker threads and a bounded queue.
 * A request that finds the queue full is refused at once (503, Retry-After) instead of piling up in memory;
 * one that waits and runs longer than the timeout is answered 503 and its queued work is dropped.
 * Records queue depth, time in queue and rejections per model.
 */
@Component
class ModelQueues implements DisposableBean {

    private final ServingProperties properties;
    private final MeterRegistry meters;
    private final Map<String, ThreadPoolExecutor> executors = new ConcurrentHashMap<>();

    ModelQueues(ServingProperties properties, MeterRegistry meters, ModelRegistry registry) {
        this.properties = properties;
        this.meters = meters;
        registry.onDeletion(manifest -> {
            ThreadPoolExecutor executor = executors.remove(manifest.reference());
            if (executor != null) {
                executor.shutdown();
            }
        });
    }

    /** Runs {@code work} on the model's workers and waits for it within the request timeout. */
    <T> T call(ModelManifest manifest, String operation, Callable<T> work) {
        ThreadPoolExecutor executor = executors.computeIfAbsent(manifest.reference(), key -> newExecutor(manifest));
        long enqueued = System.nanoTime();
        Timer queueTime = Timer.builder("latentserve.inference.queue.time")
                .description("time a request waited for a model worker")
                .tags("model", manifest.name(), "operation", operation)
                .publishPercentileHistogram()
                .register(meters);
        Future<T> future;
        try {
            future = executor.submit(() -> {
                queueTime.record(System.nanoTime() - enqueued, TimeUnit.NANOSECONDS);
                return work.call();
            });
        } catch (RejectedExecutionException e) {
            throw rejected(manifest, Reason.QUEUE_FULL, "model " + manifest.reference() + " has " + properties.queueCapacity()
                    + " requests waiting already; retry shortly");
        }
        try {
            return future.get(properties.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw rejected(manifest, Reason.TIMEOUT, "the request did not finish within " + properties.requestTimeout()
                    + " on model " + manifest.reference() + "; its work was dropped");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw rejected(manifest, Reason.TIMEOUT, "the request was interrupted while waiting for model " + manifest.reference());
        }
    }

    private ServiceOverloadedException rejected(ModelManifest manifest, Reason reason, String message) {
        Counter.builder("latentserve.inference.rejected")
                .description("inference requests turned away")
                .tags("model", manifest.name(), "reason", reason.type())
                .register(meters)
                .increment();
        return new ServiceOverloadedException(reason, message, 1);
    }

    private ThreadPoolExecutor newExecutor(ModelManifest manifest) {
        AtomicInteger count = new AtomicInteger();
        int workers = properties.workersPerModel();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(properties.queueCapacity()),
                runnable -> Thread.ofPlatform().name("latentserve-infer-" + manifest.reference() + "-" + count.incrementAndGet())
                        .daemon().unstarted(runnable),
                new ThreadPoolExecutor.AbortPolicy());
        Gauge.builder("latentserve.inference.queue.depth", executor, e -> e.getQueue().size())
                .description("requests waiting for a model's workers")
                .tags("model", manifest.name(), "version", Integer.toString(manifest.version()))
                .register(meters);
        return executor;
    }

    @Override
    public void destroy() throws InterruptedException {
        executors.values().forEach(ThreadPoolExecutor::shutdown);
        for (ThreadPoolExecutor executor : executors.values()) {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
