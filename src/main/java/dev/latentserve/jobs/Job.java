package dev.latentserve.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A job as the API shows it.
 *
 * @param resultVersion the model version the job published, once SUCCEEDED
 * @param outcome the figures the job's kind produced, once SUCCEEDED: train and fit-prior the final test and train
 *     loss, fit-codebook the k-means objective and the reconstruction error and perplexity before and after, sample
 *     the samples per second
 * @param attempts how many times a worker started it (more than one after a crash or a transient failure)
 * @param worker the worker process that ran it last
 * @param cancelRequested whether a cancel was asked for: a RUNNING job shows it until it stops at its next step
 */
public record Job(
        String id,
        String type,
        JobState state,
        String model,
        JobRequest request,
        JobProgress progress,
        @Nullable String error,
        @Nullable Integer resultVersion,
        @Schema(description = "Once SUCCEEDED: the figures of the job's kind (final test loss; k-means objective and "
                + "before/after reconstruction error and perplexity; samples per second)")
        @Nullable Map<String, Object> outcome,
        int attempts,
        @Nullable String worker,
        Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant finishedAt,
        @Schema(description = "A cancel was asked for (DELETE /v1/jobs/{id}); a RUNNING job stops at its next step and "
                + "ends CANCELLED") boolean cancelRequested) {

    /** Where a succeeded sample job's PNG grid and codes are downloaded. */
    @JsonProperty("result")
    @Schema(description = "sample jobs, once SUCCEEDED: where to download the samples (Accept: image/png or application/json)")
    public @Nullable String result() {
        return SampleJobKind.NAME.equals(type) && state == JobState.SUCCEEDED ? "/v1/jobs/" + id + "/result" : null;
    }
}
