package dev.latentserve.jobs;

import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.TrainingMonitor;
import java.io.IOException;
import java.nio.file.Path;

/** What {@link JobRunner} lends a {@link JobKind} for one run of a job. */
public interface JobContext {

    /** Takes the run's plan and progress into the job's record, and tells the work when to stop. */
    TrainingMonitor monitor();

    /** Where the work saves its state as it goes, and finds it again when the job resumes on another attempt. */
    Checkpoints checkpoints();

    /**
     * A fresh folder for the files of the version a {@link JobOutcome.Publish} publishes, made on the first call; the
     * runner publishes it, or deletes it when the job ends otherwise.
     */
    Path staging() throws IOException;
}
