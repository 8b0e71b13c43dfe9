package dev.latentserve.registry;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param loadOnStart load (and run once) the newest version of every model before reporting ready;
 *     when false, models load on their first request
 * @param installShipped copy the models shipped inside the jar into the data directory on first start
 * @param maxImportBytes most bytes an imported archive (or the files of an import) may unpack to
 * @param maxImportEntries most files in an imported archive
 * @param importProbeTimeout how long an import's modules may take to load and answer their probes
 */
@ConfigurationProperties("latentserve.registry")
public record RegistryProperties(@DefaultValue("true") boolean loadOnStart, @DefaultValue("true") boolean installShipped,
        @DefaultValue("1073741824") long maxImportBytes, @DefaultValue("64") int maxImportEntries,
        @DefaultValue("120s") java.time.Duration importProbeTimeout) {
}
