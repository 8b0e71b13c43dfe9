package dev.latentserve.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every configuration property the application knows, from the {@code spring-configuration-metadata.json} of its own
 * classes and of each Spring Boot module on the class path, to check the environment variables that deployment files
 * set. Spring Boot binds {@code latentserve.serving.queue-capacity} from {@code LATENTSERVE_SERVING_QUEUECAPACITY}
 * (dashes dropped) and from the legacy form {@code LATENTSERVE_SERVING_QUEUE_CAPACITY} (dashes as underscores).
 */
final class ConfigurationNames {

    private final Set<String> known = new HashSet<>();

    ConfigurationNames() {
        JsonMapper json = JsonMapper.builder().build();
        try {
            Enumeration<URL> files = getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
            while (files.hasMoreElements()) {
                try (InputStream in = files.nextElement().openStream()) {
                    for (JsonNode property : json.readTree(in).path("properties")) {
                        String name = property.get("name").asString().replace("[", "").replace("]", "").toUpperCase(Locale.ROOT);
                        known.add(name.replace('.', '_').replace("-", ""));
                        known.add(name.replace('.', '_').replace('-', '_'));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code variable} sets a property the application reads. */
    boolean binds(String variable) {
        return known.contains(variable);
    }

    int size() {
        return known.size();
    }
}
