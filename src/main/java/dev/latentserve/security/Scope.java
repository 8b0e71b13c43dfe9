package dev.latentserve.security;

import java.util.Locale;

/**
 * What a caller may do. {@code inference}: sample, encode, decode, reconstruct, complete and read models. {@code admin}:
 * everything, including datasets, jobs, deleting model versions and the non-public actuator endpoints.
 */
public enum Scope {
    INFERENCE, ADMIN;

    /** The Spring Security authority of this scope, the same for API keys and JWT scopes. */
    public String authority() {
        return "SCOPE_latentserve." + name().toLowerCase(Locale.ROOT);
    }
}
