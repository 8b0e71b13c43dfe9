package dev.latentserve.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A job as the API shows it.
 *
 * @param resultVersion the model version the job published, once SUCCEEDED
 * @param attempts how many times a worker started it (more than one after a crash or a transient failure)
 * @param worker the worker process that ran it last
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
        int attempts,
        @Nullable String worker,
        Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant finishedAt) {

    /** Where a succeeded sample job's PNG grid and codes are downloaded. */
    @JsonProperty("result")
    @Schema(description = "sample jobs, once SUCCEEDED: where to download the samples (Accept: image/png or application/json)")
    public @Nullable String result() {
        return SampleJobKind.NAME.equals(type) && state == JobState.SUCCEEDED ? "/v1/jobs/" + id + "/result" : null;
    }
}
