package dev.latentserve.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.docs.DocumentationExamples.Example;
import dev.latentserve.testing.Http;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Keeps the documentation true: every example of the README and of the pages it links runs, in reading order, in one
 * bash session, against the whole application as a newcomer starts it (no key configured, so the first start
 * generates one into {@code data/secrets/admin-api-key}), with the real Fashion-MNIST. A changed path or field fails
 * here instead of failing the reader. Training examples are the quick variants the pages give beside the full ones.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(DocumentationExamplesIntegrationTests.ToolsAvailable.class)
class DocumentationExamplesIntegrationTests {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    private static final long TIMEOUT_MINUTES = 15;
    private static Path workDir;

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        workDir = Files.createTempDirectory("latentserve-docs");
        registry.add("latentserve.storage.root", () -> workDir.resolve("data").toString());
        registry.add("latentserve.datasets.fashion-mnist-dir", FASHION_MNIST::toString);
        // As a newcomer starts it: no configured key, so the first start writes the admin key the README reads.
        registry.add("latentserve.security.admin-key", () -> "");
    }

    @Test
    void everyExampleRunsAsWritten() throws Exception {
        List<Example> examples = DocumentationExamples.all(ROOT);
        // The examples run from the repository's root, as the README says; the rest of it stays out of the way.
        for (String shared : List.of("examples", "src")) {
            Files.createSymbolicLink(workDir.resolve(shared), ROOT.resolve(shared));
        }
        Path log = workDir.resolve("examples.log");
        Process bash = new ProcessBuilder("bash", "-c", DocumentationExamples.script(examples, port))
                .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = bash.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!finished) {
            bash.descendants().forEach(ProcessHandle::destroyForcibly);
            bash.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        // The time each block took, for the costs the pages state.
        output.lines().filter(line -> line.startsWith("<<< ")).forEach(System.out::println);
        assertThat(finished).as("the examples finished within %d minutes; output:%n%s", TIMEOUT_MINUTES, tail(output)).isTrue();
        assertThat(bash.exitValue()).as("an example failed (the last '>>>' line names it):%n%s", tail(output)).isZero();

        String key = Files.readString(workDir.resolve("data/secrets/admin-api-key")).strip();
        JsonNode jobs = new Http(port, key).get("/v1/jobs").json();
        List<String> failed = new ArrayList<>();
        jobs.forEach(job -> {
            if (job.path("state").asString().equals("FAILED")) {
                failed.add(job.path("id").asString() + " (" + job.path("type").asString() + "): " + job.path("error").asString());
            }
        });
        assertThat(failed).as("jobs the examples started that failed").isEmpty();
    }

    private static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /**
     * Runs the test where what the examples use is at hand (bash, curl, jq, python3 with NumPy, Debian's
     * dataset-fashion-mnist), and always under {@code CI=true}, where a missing tool must fail the build rather than
     * skip it ({@code .ci/run} installs them).
     */
    static final class ToolsAvailable implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                return ConditionEvaluationResult.enabled("CI=true: the documentation's examples must run");
            }
            List<String> missing = new ArrayList<>();
            for (String tool : List.of("curl", "jq")) {
                if (!succeeds("bash", "-c", "command -v " + tool)) {
                    missing.add(tool);
                }
            }
            if (!succeeds("python3", "-c", "import numpy, requests")) {
                missing.add("python3 with NumPy and requests");
            }
            if (!Files.isDirectory(FASHION_MNIST)) {
                missing.add("Fashion-MNIST at " + FASHION_MNIST + " (apt-get install dataset-fashion-mnist)");
            }
            return missing.isEmpty() ? ConditionEvaluationResult.enabled("the examples' tools are here")
                    : ConditionEvaluationResult.disabled("the documentation's examples need " + String.join(", ", missing));
        }

        private static boolean succeeds(String... command) {
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
