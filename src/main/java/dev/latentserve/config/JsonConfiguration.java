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

    /**
     * A field the body's type does not have ({@code "cuont": 2}, {@code "ephocs": 3}) is refused naming the fields it
     * has, instead of being dropped so that a typo silently runs with the default. Bodies that take other endpoints'
     * answers as they are (decode) say so on their type.
     */
    @Bean
    JsonMapperBuilderCustomizer unknownFieldsRefused() {
        return builder -> builder.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** {@code "count": 1.5} is refused instead of becoming 1: a whole-number field takes whole numbers only. */
    @Bean
    JsonMapperBuilderCustomizer wholeNumbersOnly() {
        return builder -> builder.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    }
}
