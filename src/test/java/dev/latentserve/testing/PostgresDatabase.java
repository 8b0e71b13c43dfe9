package dev.latentserve.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.ContextConfiguration;

/**
 * Runs a Spring test class on a real PostgreSQL, in a fresh schema, when one can be had (see {@link PostgresAvailable}).
 * The schema comes from a context initializer rather than a {@code @DynamicPropertySource} of each class, so classes
 * that differ only in their tests still share one context (and its {@link ApiIntegrationSupport} model).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PostgresAvailable.class)
@ContextConfiguration(initializers = PostgresSupport.FreshSchema.class)
public @interface PostgresDatabase {
}
