package dev.latentserve.family.vqvae2;

import dev.latentserve.testing.PostgresAvailable;
import dev.latentserve.testing.PostgresSupport;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The VQ-VAE-2 suite again with jobs (sample jobs included) and the registry in a real PostgreSQL. */
@ExtendWith(PostgresAvailable.class)
class PostgresHierarchyIntegrationTests extends HierarchyIntegrationTests {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        PostgresSupport.useFreshSchema(registry);
    }
}
