package dev.latentserve.jobs;

/** Life of a job: QUEUED -> RUNNING -> one of SUCCEEDED, FAILED, CANCELLED. */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
