package dev.latentserve.jobs;

import dev.latentserve.testing.PostgresDatabase;

/** {@link JobApiIntegrationTests} again with jobs and the registry in a real PostgreSQL instead of H2. */
@PostgresDatabase
class PostgresJobApiIntegrationTests extends JobApiIntegrationTests {
}
