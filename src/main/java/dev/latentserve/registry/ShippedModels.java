package dev.latentserve.registry;

import dev.latentserve.config.StorageProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * Installs the models packed in the jar ({@code shipped-models/<name>/<version>/...}) into the registry,
 * so a fresh start serves at once. Each is installed once: a shipped version that a user deleted stays
 * deleted ({@code .shipped} lists what was installed).
 */
@Component
class ShippedModels implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(ShippedModels.class);
    private static final String LOCATION = "shipped-models/";

    private final ModelRegistry registry;
    private final RegistryProperties properties;
    private final Path ledger;

    ShippedModels(ModelRegistry registry, RegistryProperties properties, StorageProperties storage) {
        this.registry = registry;
        this.properties = properties;
        this.ledger = storage.root().resolve("models").resolve(".shipped");
    }

    private static boolean isDirectory(Resource resource) {
        try {
            String url = resource.getURL().toString();
            String name = resource.getFilename();
            return url.endsWith("/") || name == null || name.isEmpty();
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void afterPropertiesSet() throws IOException {
        if (!properties.installShipped()) {
            return;
        }
        Set<String> installed = Files.exists(ledger) ? new HashSet<>(Files.readAllLines(ledger)) : new HashSet<>();
        // Inside a jar the pattern also matches directory entries; only files are copied.
        Resource[] files = java.util.Arrays.stream(
                        new PathMatchingResourcePatternResolver().getResources("classpath*:" + LOCATION + "*/*/*"))
                .filter(file -> !isDirectory(file))
                .toArray(Resource[]::new);
        Set<String> versions = new java.util.TreeSet<>();
        for (Resource file : files) {
            String path = file.getURL().toString();
            String relative = path.substring(path.lastIndexOf(LOCATION) + LOCATION.length());
            String[] parts = relative.split("/");
            if (parts.length == 3) {
                versions.add(parts[0] + "/" + parts[1]);
            }
        }
        for (String version : versions) {
            String[] parts = version.split("/");
            String reference = parts[0] + "@" + parts[1];
            if (installed.contains(reference) || registry.exists(parts[0], Integer.parseInt(parts[1]))) {
                continue;
            }
            Path staging = registry.newStaging();
            for (Resource file : files) {
                if (file.getURL().toString().contains(LOCATION + version + "/")) {
                    try (InputStream in = file.getInputStream()) {
                        Files.copy(in, staging.resolve(java.util.Objects.requireNonNull(file.getFilename())));
                    }
                }
            }
            if (registry.install(staging)) {
                log.info("installed shipped model {}", reference);
            }
            Files.writeString(ledger, reference + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
