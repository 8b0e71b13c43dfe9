package dev.latentserve.security;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Authentication and limits.
 *
 * @param enabled false lets every request through (for a service behind a gateway that authenticates; never public)
 * @param adminKey a key with the admin scope, given in plain text (from a Secret or the environment) and kept only as its
 *        SHA-256 hash; at least 32 characters
 * @param apiKeys further keys by name, each as the hex SHA-256 of the key with its scopes and, optionally, its own rate
 * @param bootstrapKeyFile while no configured key has the admin scope, a random admin key is generated into this file
 *        (mode 600) on first start and read from it afterwards; once one has, the file is renamed to
 *        {@code <file>.retired} and its key refused; empty for {@code <storage root>/secrets/admin-api-key}
 * @param rateLimit requests per second and burst per caller (key name or JWT subject), unless a key sets its own
 * @param maxRequestBytes the largest non-multipart request body; larger ones get 413 before they are read
 * @param jwtScopePrefix JWT scopes are {@code <prefix>inference} and {@code <prefix>admin}
 */
@ConfigurationProperties("latentserve.security")
public record SecurityProperties(
        @DefaultValue("true") boolean enabled,
        @Nullable String adminKey,
        @DefaultValue Map<String, ApiKey> apiKeys,
        @Nullable String bootstrapKeyFile,
        @DefaultValue RateLimit rateLimit,
        @DefaultValue("16777216") long maxRequestBytes,
        @DefaultValue("latentserve.") String jwtScopePrefix) {

    /**
     * @param sha256 the hex SHA-256 of the key, e.g. from {@code printf %s "$KEY" | sha256sum}
     * @param scopes {@code inference}, {@code admin} or both
     */
    public record ApiKey(String sha256, List<Scope> scopes, @Nullable Double requestsPerSecond, @Nullable Integer burst) {
    }

    public record RateLimit(@DefaultValue("200") double requestsPerSecond, @DefaultValue("400") int burst) {
    }
}
