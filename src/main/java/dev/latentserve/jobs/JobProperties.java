package dev.latentserve.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxActive the most jobs queued plus running; beyond it {@code POST /v1/jobs} answers 429
 * @param progressFlushInterval how often a running job writes its progress and reads its cancel flag
 * @param checkpointEverySteps optimiser steps between checkpoints, besides one after every epoch (0: epochs only)
 * @param maxAttempts how many times a job that fails for a transient reason (I/O, database) is tried
 * @param retryDelay the wait before such a retry
 * @param heartbeatInterval how often a worker marks its running job alive
 * @param missedHeartbeats after this many missed heartbeats (at least 4) another worker takes the job over
 * @param pollingInterval how often an idle worker looks for due jobs
 * @param maxSampleCount the most samples one sample job draws
 */
@ConfigurationProperties("latentserve.jobs")
public record JobProperties(
        @DefaultValue("16") int maxActive,
        @DefaultValue("2s") Duration progressFlushInterval,
        @DefaultValue("200") long checkpointEverySteps,
        @DefaultValue("3") int maxAttempts,
        @DefaultValue("10s") Duration retryDelay,
        @DefaultValue("5s") Duration heartbeatInterval,
        @DefaultValue("6") int missedHeartbeats,
        @DefaultValue("1s") Duration pollingInterval,
        @DefaultValue("10000") int maxSampleCount) {
}
