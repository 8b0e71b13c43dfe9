package dev.latentserve.api;

import dev.latentserve.testing.PostgresAvailable;
import dev.latentserve.testing.PostgresSupport;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The whole API suite again, with jobs and the registry in a real PostgreSQL instead of H2. */
@ExtendWith(PostgresAvailable.class)
class PostgresApiIntegrationTests extends ApiIntegrationTests {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        PostgresSupport.useFreshSchema(registry);
    }

    @Override
    String expectedDatabase() {
        return "PostgreSQL";
    }
}
