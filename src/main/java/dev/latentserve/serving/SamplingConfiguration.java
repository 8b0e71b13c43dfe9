package dev.latentserve.serving;

import dev.latentserve.family.SamplingLimits;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The sampling bounds of {@link ServingProperties}, for {@code /sample} and for sample jobs alike. */
@Configuration(proxyBeanMethods = false)
class SamplingConfiguration {

    @Bean
    SamplingLimits samplingLimits(ServingProperties properties) {
        return new SamplingLimits(properties.maxTemperature());
    }
}
