package dev.latentserve.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;

/** Present only in processes whose {@code latentserve.roles} include {@code worker} (the default: api,worker). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ConditionalOnExpression("'${latentserve.roles:api,worker}'.contains('worker')")
public @interface WorkerRole {
}
