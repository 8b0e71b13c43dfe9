package dev.latentserve.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where datasets and model versions live on disk (a volume in Kubernetes).
 *
 * @param root the data directory; {@code datasets/} and {@code models/} are created under it
 */
@ConfigurationProperties("latentserve.storage")
public record StorageProperties(@DefaultValue("./data") Path root) {
}
