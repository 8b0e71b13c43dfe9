package dev.latentserve.jobs;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The {@code jobs} table. State changes are conditional updates, so a job moves forward only once. */
@Repository
class JobRepository {

    private static final TypeReference<Map<String, Object>> OUTCOME = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    JobRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void insert(Job job) {
        jdbc.sql("""
                INSERT INTO jobs (id, type, state, model_name, request_json, progress_json, attempts, created_at)
                VALUES (:id, :type, :state, :model, :request, :progress, 0, :created)""")
                .param("id", job.id())
                .param("type", job.type())
                .param("state", job.state().name())
                .param("model", job.model())
                .param("request", json.writeValueAsString(job.request()))
                .param("progress", json.writeValueAsString(job.progress()))
                .param("created", Timestamp.from(job.createdAt()))
                .update();
    }

    Optional<Job> find(String id) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = :id").param("id", id).query(this::map).optional();
    }

    List<Job> list(int limit) {
        return jdbc.sql("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT :limit")
                .param("limit", limit).query(this::map).list();
    }

    long countActive() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state IN ('QUEUED', 'RUNNING')").query(Long.class).single();
    }

    /**
     * Claims a job for {@code worker}: QUEUED, or RUNNING on a worker that died (the job engine hands a
     * dead worker's execution to exactly one other).
     */
    boolean start(String id, String worker) {
        return jdbc.sql("""
                UPDATE jobs SET state = 'RUNNING', started_at = COALESCE(started_at, :now), attempts = attempts + 1,
                       worker = :worker
                WHERE id = :id AND state IN ('QUEUED', 'RUNNING') AND cancel_requested = FALSE""")
                .param("id", id).param("worker", worker).param("now", Timestamp.from(Instant.now())).update() == 1;
    }

    /** Back to the queue after a transient failure; the job engine runs it again after a delay. */
    void requeue(String id, String worker, String error, JobProgress progress) {
        jdbc.sql("""
                UPDATE jobs SET state = 'QUEUED', error = :error, progress_json = :progress
                WHERE id = :id AND worker = :worker AND state = 'RUNNING'""")
                .param("id", id).param("worker", worker).param("error", error)
                .param("progress", json.writeValueAsString(progress)).update();
    }

    /**
     * Writes a running job's progress, fenced by its worker.
     *
     * @return false when another worker has taken the job over (this one was presumed dead)
     */
    boolean saveProgress(String id, JobProgress progress, String worker) {
        return jdbc.sql("UPDATE jobs SET progress_json = :progress WHERE id = :id AND worker = :worker AND state = 'RUNNING'")
                .param("id", id).param("worker", worker).param("progress", json.writeValueAsString(progress)).update() == 1;
    }

    /**
     * Ends a job that {@code worker} runs; false when it no longer does (taken over, or finished already).
     *
     * @param outcome the figures of a succeeded job's kind
     */
    boolean finish(String id, String worker, JobState state, @Nullable String error, @Nullable Integer resultVersion,
            JobProgress progress, @Nullable Map<String, Object> outcome) {
        return jdbc.sql("""
                UPDATE jobs SET state = :state, error = :error, result_version = :version, progress_json = :progress,
                       outcome_json = :outcome, finished_at = :now
                WHERE id = :id AND worker = :worker AND state IN ('QUEUED', 'RUNNING')""")
                .param("id", id)
                .param("worker", worker)
                .param("state", state.name())
                .param("error", error)
                .param("version", resultVersion)
                .param("progress", json.writeValueAsString(progress))
                .param("outcome", outcome == null ? null : json.writeValueAsString(outcome))
                .param("now", Timestamp.from(Instant.now()))
                .update() == 1;
    }

    /** Marks a job for cancellation; a queued job is cancelled at once. */
    boolean requestCancel(String id) {
        int updated = jdbc.sql("UPDATE jobs SET cancel_requested = TRUE WHERE id = :id AND state IN ('QUEUED', 'RUNNING')")
                .param("id", id).update();
        jdbc.sql("UPDATE jobs SET state = 'CANCELLED', finished_at = :now WHERE id = :id AND state = 'QUEUED'")
                .param("id", id).param("now", Timestamp.from(Instant.now())).update();
        return updated == 1;
    }

    boolean isCancelRequested(String id) {
        return jdbc.sql("SELECT cancel_requested FROM jobs WHERE id = :id").param("id", id).query(Boolean.class)
                .optional().orElse(true);
    }

    private Job map(ResultSet rs, int row) throws SQLException {
        String progress = rs.getString("progress_json");
        String outcome = rs.getString("outcome_json");
        JobRequest request = json.readValue(rs.getString("request_json"), JobRequest.class);
        return new Job(
                rs.getString("id"),
                rs.getString("type"),
                JobState.valueOf(rs.getString("state")),
                rs.getString("model_name"),
                request,
                progress == null ? ProgressTracker.initial(JobKind.training(request.epochs() == null ? 1 : request.epochs()))
                        : json.readValue(progress, JobProgress.class),
                rs.getString("error"),
                (Integer) rs.getObject("result_version"),
                outcome == null ? null : json.readValue(outcome, OUTCOME),
                rs.getInt("attempts"),
                rs.getString("worker"),
                instant(rs.getTimestamp("created_at")),
                nullableInstant(rs.getTimestamp("started_at")),
                nullableInstant(rs.getTimestamp("finished_at")),
                rs.getBoolean("cancel_requested"));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp.toInstant();
    }

    private static @Nullable Instant nullableInstant(@Nullable Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
