package dev.latentserve.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A real PostgreSQL for database tests: the one named by {@code LATENTSERVE_TEST_POSTGRES_URL} (a JDBC URL
 * with user and password, as {@code .ci/run} sets it), else one started by Testcontainers when Docker is
 * available. Without either, a test fails when {@code CI=true} and is skipped, saying why, elsewhere.
 * Each caller gets a schema of its own, so test classes never see each other's rows.
 */
public final class PostgresSupport {

    public static final String URL_VARIABLE = "LATENTSERVE_TEST_POSTGRES_URL";
    private static PostgreSQLContainer container;

    private PostgresSupport() {
    }

    /** Connection settings for a fresh, empty schema. */
    public record Database(String url, String username, String password, String schema) {

        /** The URL with the schema as the connection's search path. */
        public String schemaUrl() {
            return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        }
    }

    /** Points a Spring test context's datasource and Flyway at a fresh schema (for @DynamicPropertySource). */
    public static void useFreshSchema(org.springframework.test.context.DynamicPropertyRegistry registry) {
        Database database = freshSchema();
        registry.add("spring.datasource.url", database::schemaUrl);
        registry.add("spring.datasource.username", database::username);
        registry.add("spring.datasource.password", database::password);
        registry.add("spring.flyway.schemas", database::schema);
    }

    /** The same for a context initializer (see {@link PostgresDatabase}). */
    public static final class FreshSchema implements ApplicationContextInitializer<ConfigurableApplicationContext> {

        @Override
        public void initialize(ConfigurableApplicationContext context) {
            Database database = freshSchema();
            TestPropertyValues.of("spring.datasource.url=" + database.schemaUrl(),
                    "spring.datasource.username=" + database.username(), "spring.datasource.password=" + database.password(),
                    "spring.flyway.schemas=" + database.schema()).applyTo(context);
        }
    }

    public static synchronized Database freshSchema() {
        String url = System.getenv(URL_VARIABLE);
        String username = "postgres";
        String password = "";
        if (url == null || url.isBlank()) {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                if (container == null) {
                    container = new PostgreSQLContainer("postgres:16-alpine");
                    container.start();
                }
                url = container.getJdbcUrl();
                username = container.getUsername();
                password = container.getPassword();
            } else {
                String reason = "no PostgreSQL for database tests: set " + URL_VARIABLE
                        + " (e.g. jdbc:postgresql://127.0.0.1:5432/test?user=postgres) or make Docker available";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    Assertions.fail(reason);
                }
                Assumptions.abort(reason);
            }
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection connection = DriverManager.getConnection(url, username, password)) {
            connection.createStatement().execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            Assertions.fail("PostgreSQL at " + url + " does not answer: " + e.getMessage(), e);
        }
        return new Database(url, username, password, schema);
    }
}
