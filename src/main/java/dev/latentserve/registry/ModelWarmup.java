package dev.latentserve.registry;

import dev.latentserve.family.LoadedModel;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Loads the newest version of every model and runs one sample through it before the application
 * reports ready (runners finish before readiness turns to ACCEPTING_TRAFFIC), so the first user
 * request is not the slow one.
 */
@Component
@dev.latentserve.config.ApiRole
class ModelWarmup implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(ModelWarmup.class);

    private final ModelRegistry registry;
    private final LoadedModels models;
    private final RegistryProperties properties;

    ModelWarmup(ModelRegistry registry, LoadedModels models, RegistryProperties properties) {
        this.registry = registry;
        this.models = models;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        if (!properties.loadOnStart()) {
            return;
        }
        for (ModelSummary summary : registry.list()) {
            ModelManifest manifest = registry.resolve(new ModelReference(summary.name(), summary.latestVersion()));
            try {
                LoadedModel model = models.get(manifest);
                long start = System.nanoTime();
                model.reconstruct(new float[1][manifest.inputShape().size()], 0);
                log.info("warmed up {} in {} ms", manifest.reference(), (System.nanoTime() - start) / 1_000_000);
            } catch (RuntimeException e) {
                log.error("model {} could not be loaded; it will answer with an error until fixed", manifest.reference(), e);
            }
        }
    }
}
