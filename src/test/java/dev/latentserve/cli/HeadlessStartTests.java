package dev.latentserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.jobs.JobService;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The command-line tools (train, the benchmarks) run the application without a web server: everything that needs
 * one (security filters, Tomcat settings) must stay out of such a context. A web-only bean once broke them all.
 */
class HeadlessStartTests {

    @Test
    void theApplicationStartsWithoutAWebServerForTheCommandLineTools(@TempDir Path data) {
        try (ConfigurableApplicationContext context = Headless.start(dev.latentserve.LatentServeApplication.class, data)) {
            assertThat(context.getBean(JobService.class)).isNotNull();
        }
    }
}
