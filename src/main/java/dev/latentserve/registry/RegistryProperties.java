package dev.latentserve.registry;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param loadOnStart load (and run once) the newest version of every model before reporting ready;
 *     when false, models load on their first request
 * @param installShipped copy the models shipped inside the jar into the data directory on first start
 */
@ConfigurationProperties("latentserve.registry")
public record RegistryProperties(@DefaultValue("true") boolean loadOnStart, @DefaultValue("true") boolean installShipped) {
}
