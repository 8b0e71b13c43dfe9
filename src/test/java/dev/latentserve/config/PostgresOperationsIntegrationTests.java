package dev.latentserve.config;

import dev.latentserve.testing.PostgresDatabase;

/** {@link OperationsIntegrationTests} again with jobs and the registry in a real PostgreSQL instead of H2. */
@PostgresDatabase
class PostgresOperationsIntegrationTests extends OperationsIntegrationTests {
}
