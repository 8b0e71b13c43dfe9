package dev.latentserve.jobs;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The newest preview of each sample job being drawn in this process, for its event stream. Kept in memory only: a
 * preview is worth something while the job runs and nothing after, so it is neither stored nor shared between
 * replicas (a stream served by another replica than the job's worker has progress but no previews).
 */
@Component
class JobPreviews {

    /**
     * One preview: the chunk's samples decoded with every code not drawn yet set to the most likely one.
     *
     * @param sequence increases with every preview of any job, so a follower sends each one once
     * @param chunk the chunk being drawn, 0-based, of {@code chunks}
     * @param rows complete rows of codes of {@code level}
     * @param png a base64 PNG grid of the chunk's samples
     */
    record Preview(long sequence, int chunk, int chunks, String level, int rows, String png) {
    }

    private final Map<String, Preview> latest = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    void put(String jobId, int chunk, int chunks, String level, int rows, String png) {
        latest.put(jobId, new Preview(sequence.incrementAndGet(), chunk, chunks, level, rows, png));
    }

    Optional<Preview> latest(String jobId) {
        return Optional.ofNullable(latest.get(jobId));
    }

    /** Forgets the job's preview once it has stopped drawing. */
    void clear(String jobId) {
        latest.remove(jobId);
    }
}
