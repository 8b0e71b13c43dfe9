package dev.latentserve.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.docs.DocumentationExamples.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentationExamplesTests {

    private static final Path ROOT = Path.of("").toAbsolutePath();

    @Test
    void aBlockIsRunUnlessTheLineBeforeItsFenceSaysWhyNot() {
        List<Example> examples = DocumentationExamples.parse("page.md", """
                Text.

                ```bash
                curl -s localhost:8080/v1/models
                ```
                <!-- not run: it needs a Docker engine -->

                ```bash
                docker build .
                ```
                ```json
                {"not": "bash"}
                ```
                """);

        assertThat(examples).extracting(Example::line, Example::code, Example::notRun).containsExactly(
                org.assertj.core.groups.Tuple.tuple(3, "curl -s localhost:8080/v1/models\n", null),
                org.assertj.core.groups.Tuple.tuple(8, "docker build .\n", "it needs a Docker engine"));
    }

    @Test
    void theScriptPointsEveryCallAtTheServiceUnderTestAndNamesEachBlock() {
        String script = DocumentationExamples.script(DocumentationExamples.parse("README.md", """
                ```bash
                curl -s localhost:8080/v1/models
                ```
                <!-- not run: slow -->
                ```bash
                sleep 999
                ```
                """), 41234);

        assertThat(script).contains("curl -s localhost:41234/v1/models", ">>> README.md:1", "--fail-with-body", ".bin/curl")
                .doesNotContain("sleep 999", "8080");
    }

    @Test
    void everyApiExampleOfTheDocumentationRunsAndEveryOtherSaysWhyNot() {
        List<Example> examples = DocumentationExamples.all(ROOT);

        assertThat(examples).filteredOn(Example::runs).hasSizeGreaterThan(10);
        // A block of API calls only must run; one that also needs what the tests lack (PyTorch, Docker) may say why not.
        assertThat(examples).filteredOn(example -> example.code().contains("curl ") && example.code().lines()
                        .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#") && !line.startsWith("|")
                                && !line.startsWith("-")).allMatch(line -> line.startsWith("curl ")))
                .allSatisfy(example -> assertThat(example.runs()).as(example.where() + " only calls the API, so it must run").isTrue());
        assertThat(examples).filteredOn(example -> !example.runs())
                .allSatisfy(example -> assertThat(example.notRun()).as(example.where()).isNotBlank());
    }

    @Test
    void everyPageTheReadmeLinksExists() {
        assertThat(DocumentationExamples.pages(ROOT)).allSatisfy(page -> assertThat(Files.exists(ROOT.resolve(page))).as(page).isTrue());
    }
}
