package dev.latentserve.testing;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a PostgreSQL test class when a PostgreSQL can be had (see {@link PostgresSupport}), and always under
 * {@code CI=true}, where a missing database must fail the build rather than skip; elsewhere skips it, saying why.
 * Evaluated before Spring builds the class's context.
 */
public final class PostgresAvailable implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String url = System.getenv(PostgresSupport.URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            return ConditionEvaluationResult.enabled("PostgreSQL from " + PostgresSupport.URL_VARIABLE);
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            return ConditionEvaluationResult.enabled("CI=true: PostgreSQL is required");
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return ConditionEvaluationResult.enabled("PostgreSQL from Testcontainers");
        }
        return ConditionEvaluationResult.disabled("no PostgreSQL: set " + PostgresSupport.URL_VARIABLE
                + " (e.g. jdbc:postgresql://127.0.0.1:5432/test?user=postgres) or make Docker available");
    }
}
