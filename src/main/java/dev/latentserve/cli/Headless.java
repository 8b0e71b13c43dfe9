package dev.latentserve.cli;

import java.nio.file.Path;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The application without its web server, on a throwaway data directory, for command-line runs. */
final class Headless {

    private Headless() {
    }

    /** @param application the {@code @SpringBootApplication} class, which hands itself to the command that starts */
    static ConfigurableApplicationContext start(Class<?> application, Path data) {
        return start(application, data, false);
    }

    /** @param shippedModels install the models shipped in the jar (as the server does) */
    static ConfigurableApplicationContext start(Class<?> application, Path data, boolean shippedModels) {
        return new SpringApplicationBuilder(application)
                .web(WebApplicationType.NONE)
                .run("--latentserve.storage.root=" + data.toAbsolutePath(),
                        "--latentserve.registry.install-shipped=" + shippedModels,
                        "--latentserve.registry.load-on-start=false", "--spring.main.banner-mode=off",
                        "--logging.level.root=WARN", "--logging.level.dev.latentserve.jobs=INFO");
    }
}
