package dev.latentserve.serving;

import dev.latentserve.testing.PostgresDatabase;

/** {@link InferenceIntegrationTests} again with jobs and the registry in a real PostgreSQL instead of H2. */
@PostgresDatabase
class PostgresInferenceIntegrationTests extends InferenceIntegrationTests {
}
