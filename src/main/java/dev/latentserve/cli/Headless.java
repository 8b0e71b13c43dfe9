package dev.latentserve.cli;

import dev.latentserve.LatentServeApplication;
import java.nio.file.Path;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The application without its web server, on a throwaway data directory, for command-line runs. */
final class Headless {

    private Headless() {
    }

    static ConfigurableApplicationContext start(Path data) {
        return start(data, false);
    }

    /** @param shippedModels install the models shipped in the jar (as the server does) */
    static ConfigurableApplicationContext start(Path data, boolean shippedModels) {
        return new SpringApplicationBuilder(LatentServeApplication.class)
                .web(WebApplicationType.NONE)
                .run("--latentserve.storage.root=" + data.toAbsolutePath(),
                        "--latentserve.registry.install-shipped=" + shippedModels,
                        "--latentserve.registry.load-on-start=false", "--spring.main.banner-mode=off",
                        "--logging.level.root=WARN", "--logging.level.dev.latentserve.jobs=INFO");
    }
}
