package dev.latentserve.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The DJL engine's device and threads.
 *
 * @param device {@code auto} (a GPU when the engine sees one), {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param intraOpThreads threads inside one operator (0: the engine's default, one per core)
 * @param interOpThreads threads across operators (0: the engine's default)
 */
@ConfigurationProperties("latentserve.engine")
public record EngineProperties(
        @DefaultValue("auto") String device,
        @DefaultValue("0") int intraOpThreads,
        @DefaultValue("0") int interOpThreads) {
}
