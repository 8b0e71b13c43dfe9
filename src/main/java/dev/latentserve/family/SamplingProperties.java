package dev.latentserve.family;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How codes are drawn from autoregressive priors.
 *
 * @param incremental true: incremental generation ({@link PriorSampler}), each position computing only what changes;
 *     false: the full prior pass at every position, the reference it is tested against (same codes, slower)
 */
@ConfigurationProperties("latentserve.sampling")
public record SamplingProperties(@DefaultValue("true") boolean incremental) {

    /** The defaults, for families built outside Spring. */
    public static final SamplingProperties DEFAULTS = new SamplingProperties(true);
}
