package dev.latentserve.jobs;

import dev.latentserve.registry.ModelManifest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link JobKind} hands back when its work is done. Either way {@link #figures()} are the numbers the job shows
 * once it has SUCCEEDED, under {@code outcome} (the final test loss, the k-means objective, samples per second).
 */
public sealed interface JobOutcome {

    /** The kind's figures of the finished run; JSON-ready values. */
    Map<String, Object> figures();

    /** A new model version: {@link JobRunner} publishes it from {@link JobContext#staging()} and marks the job SUCCEEDED at once. */
    record Publish(ModelManifest manifest, Map<String, Object> figures) implements JobOutcome {

        public Publish {
            figures = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(figures));
        }
    }

    /** A result the kind has stored itself (a sample job's files): the job is SUCCEEDED once the runner records it. */
    record Stored(Map<String, Object> figures) implements JobOutcome {

        public Stored {
            figures = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(figures));
        }
    }
}
