package dev.latentserve.jobs;

import java.util.Map;
import java.util.Objects;

/**
 * A sample job's request as its kind reads it.
 *
 * @param model the version sampled, {@code name@version}
 * @param family that version's family (shown in the stored request)
 * @param seed the first chunk's seed; later chunks mix the chunk number into it
 * @param sample the count and every sampling setting, filled in
 */
record SampleJobRequest(String model, String family, long seed, JobRequest.SampleSpec sample) {

    SampleJobRequest {
        Objects.requireNonNull(sample.count(), "sample.count");
        Objects.requireNonNull(sample.temperature(), "sample.temperature");
    }

    /** The typed form of a request as stored (validated and completed). */
    static SampleJobRequest from(JobRequest stored) {
        return new SampleJobRequest(stored.model(), Objects.requireNonNull(stored.family(), "family"),
                Objects.requireNonNull(stored.seed(), "seed"), Objects.requireNonNull(stored.sample(), "sample"));
    }

    /** How many samples. */
    int count() {
        return Objects.requireNonNull(sample.count());
    }

    /** Per-level temperatures, none when the request named none. */
    Map<String, Double> temperatures() {
        return sample.temperatures() == null ? Map.of() : sample.temperatures();
    }

    /** The wire form, as stored and echoed in the job's JSON (one "epoch", no architecture, as sample jobs always showed). */
    JobRequest toJobRequest() {
        return new JobRequest(SampleJobKind.NAME, model, family, null, null, null, null, 1, null, null, seed, Map.of(), sample);
    }
}
