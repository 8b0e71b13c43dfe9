package dev.latentserve.jobs;

import dev.latentserve.family.TrainingMonitor.Phase;
import java.io.IOException;
import java.util.List;

/**
 * One kind of job ({@code train}, {@code fit-prior}, ...): a Spring bean that checks a request before it is queued and
 * does the work when a worker runs it. {@link JobService} and {@link JobRunner} find the kind by
 * {@link JobRequest#type()} through {@link JobKinds} and keep the lifecycle (queueing, progress, cancellation,
 * retries, publishing) to themselves, so adding a kind is adding one bean.
 */
public interface JobKind {

    /** The {@code type} clients send for this kind. */
    String name();

    /**
     * Checks a request as sent, before anything is queued, and completes it with every default filled in.
     *
     * @return the request as stored and echoed in the job's JSON
     * @throws JobRejectedException saying what to fix (422)
     */
    JobRequest validate(JobRequest request) throws IOException;

    /**
     * The phases a job of this kind goes through, as far as they are known before it runs (shown while it is queued);
     * the phases the work announces through {@link dev.latentserve.family.TrainingMonitor#onPlan} replace them.
     *
     * @param request the request as {@link #validate} completed it
     */
    List<Phase> plan(JobRequest request);

    /**
     * Does the work of a running job: reports progress to {@code context.monitor()} and stops with
     * {@link dev.latentserve.family.TrainingCancelledException} when it says so.
     *
     * @return a model version to publish (its files written into {@code context.staging()}), or a result already stored
     */
    JobOutcome run(Job job, JobContext context) throws IOException;

    /**
     * A finished job's downloadable result, for kinds that store one instead of publishing a model version.
     *
     * @throws JobConflictException for kinds whose result is a model version, or while the job has not succeeded
     */
    default byte[] download(Job job, boolean png) throws IOException {
        throw new JobConflictException("job " + job.id() + " is a " + job.type() + " job; only sample jobs have a result to "
                + "download (a " + job.type() + " job's result is a model version: resultVersion)");
    }

    /** The plan of a job that runs {@code epochs} passes and announces no phases of its own. */
    static List<Phase> training(int epochs) {
        return List.of(new Phase(Phase.TRAIN, "epochs", epochs, 1));
    }
}
