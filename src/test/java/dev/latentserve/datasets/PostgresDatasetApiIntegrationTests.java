package dev.latentserve.datasets;

import dev.latentserve.testing.PostgresDatabase;

/** {@link DatasetApiIntegrationTests} again with jobs and the registry in a real PostgreSQL instead of H2. */
@PostgresDatabase
class PostgresDatasetApiIntegrationTests extends DatasetApiIntegrationTests {
}
