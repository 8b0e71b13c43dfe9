package dev.latentserve.serving;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Answers an HTTP request from queued inference without holding a servlet thread. The result is turned into a
 * response (PNG encoding, JSON records) on a virtual thread, so a model's worker is free for its next batch at
 * once. When the container reports an async error (a client gone, where it notices) or the servlet's own async
 * timeout fires, the queued work is cancelled and never runs. Tomcat does not watch the socket of an async request
 * whose body it has read, so a client that hangs up while queued is noticed only at the write; its queued work is
 * dropped at {@code request-timeout} at the latest.
 */
@Component
public class AsyncResponses implements DisposableBean {

    private final ExecutorService mapping = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("latentserve-respond-", 0).factory());
    private final ServingProperties properties;

    AsyncResponses(ServingProperties properties) {
        this.properties = properties;
    }

    /**
     * The answer to a request whose work is queued: {@code toResponse} of its result, or its error for the exception
     * handlers of the controller that called this.
     */
    public <T> DeferredResult<ResponseEntity<?>> answer(CompletableFuture<T> work, Function<T, ResponseEntity<?>> toResponse) {
        // The batcher's own timeout answers first (503 inference-timeout); the servlet's is only a backstop.
        DeferredResult<ResponseEntity<?>> response = new DeferredResult<>(properties.requestTimeout().plusSeconds(10).toMillis());
        response.onError(error -> work.cancel(false));
        response.onTimeout(() -> work.cancel(false));
        work.thenApplyAsync(toResponse, mapping).whenComplete((value, error) -> {
            if (error == null) {
                response.setResult(value);
            } else if (!(cause(error) instanceof CancellationException)) {
                response.setErrorResult(cause(error));
            }
        });
        return response;
    }

    private static Throwable cause(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    @Override
    public void destroy() {
        mapping.shutdown();
    }
}
