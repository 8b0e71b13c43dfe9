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
        PostgresSupport.Database database = PostgresSupport.freshSchema();
        registry.add("spring.datasource.url", database::schemaUrl);
        registry.add("spring.datasource.username", database::username);
        registry.add("spring.datasource.password", database::password);
        registry.add("spring.flyway.schemas", database::schema);
    }

    @Override
    String expectedDatabase() {
        return "PostgreSQL";
    }
}
