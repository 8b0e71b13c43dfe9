package dev.latentserve.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxActive the most jobs queued plus running on this process; beyond it {@code POST /v1/jobs} answers 429
 * @param progressFlushInterval how often a running job's progress is written to the database
 */
@ConfigurationProperties("latentserve.jobs")
public record JobProperties(@DefaultValue("16") int maxActive, @DefaultValue("2s") Duration progressFlushInterval) {
}
