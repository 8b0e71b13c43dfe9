package dev.latentserve.config;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;

/** How request bodies are read. */
@Configuration(proxyBeanMethods = false)
class JsonConfiguration {

    /**
     * A field given twice ({@code {"count": 1, "count": 1000}}) is refused instead of the last one silently winning:
     * a gateway or a log may show the first while the service used the second.
     */
    @Bean
    JsonMapperBuilderCustomizer strictDuplicateFields() {
        return builder -> builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** {@code "count": 1.5} is refused instead of becoming 1: a whole-number field takes whole numbers only. */
    @Bean
    JsonMapperBuilderCustomizer wholeNumbersOnly() {
        return builder -> builder.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    }
}
