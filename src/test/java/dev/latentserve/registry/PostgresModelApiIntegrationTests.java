package dev.latentserve.registry;

import dev.latentserve.testing.PostgresDatabase;

/** {@link ModelApiIntegrationTests} again with jobs and the registry in a real PostgreSQL instead of H2. */
@PostgresDatabase
class PostgresModelApiIntegrationTests extends ModelApiIntegrationTests {

    @Override
    String expectedDatabase() {
        return "PostgreSQL";
    }
}
