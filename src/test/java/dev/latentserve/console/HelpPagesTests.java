package dev.latentserve.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The help pages: the Markdown the build packs into the jar, rendered; nothing outside it served. */
class HelpPagesTests {

    private final HelpPages pages = new HelpPages();

    private static String text(HelpPages.Page page) {
        return new String(page.body(), StandardCharsets.UTF_8);
    }

    @Test
    void theReadmeIsTheFrontPageAndItsLinksLeadToTheDocsPages() {
        HelpPages.Page page = pages.page("");
        assertThat(page.mediaType()).startsWith("text/html");
        String html = text(page);
        assertThat(html).contains("<title>latentserve").contains("<base href=\"/console/help/\">")
                .contains("href=\"docs/api.md\"");
    }

    @Test
    void aDocsPageKeepsItsRelativeLinksAndHeadingAnchorsAndRendersTables() {
        String html = text(pages.page("docs/api.md"));
        assertThat(html).contains("<base href=\"/console/help/docs/\">").contains("id=\"image-inputs\"")
                .contains("<pre><code class=\"language-bash\">");
        assertThat(text(pages.page("docs/configuration.md"))).contains("<table>");
    }

    @Test
    void rawHtmlInTheMarkdownIsShownAsTextNotRun() {
        // The docs carry <!-- not run: ... --> comments; with HTML escaped they can never inject markup.
        assertThat(text(pages.page("docs/api.md"))).doesNotContain("<!--");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../pom.xml", "docs/../../pom.xml", "application.yml", "docs/nothing.md", "/etc/passwd", "docs/",
            "static/console/index.html"})
    void answersNotFoundForAnythingElse(String path) {
        assertThatThrownBy(() -> pages.page(path)).isInstanceOf(HelpPageNotFoundException.class);
    }
}
