package dev.latentserve.console;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.node.Heading;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Service;
import org.springframework.web.util.HtmlUtils;

/**
 * The README, BENCHMARKS and docs/ pages, packed into the jar under {@code help/} by the build, rendered to HTML for the
 * console's help link with commonmark (GitHub's tables and heading anchors, so the pages' own links and
 * {@code #anchors} work as they do on a code host). Rendered once per page and kept: the jar does not change.
 */
@Service
class HelpPages {

    /** A help page or a file it shows: its bytes and media type. */
    record Page(byte[] body, String mediaType) {
    }

    private static final String ROOT = "help/";
    // Paths as the docs write them: letters, digits, '-', '_', '.', '/'; never '..' (nothing outside help/ is served).
    private static final Pattern SAFE = Pattern.compile("(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*");
    private static final Set<String> IMAGES = Set.of("png");
    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create(), HeadingAnchorExtension.create());

    private final Parser parser = Parser.builder().extensions(EXTENSIONS).build();
    // Raw HTML in the Markdown (the docs' "not run" comments) is escaped, not passed through.
    private final HtmlRenderer renderer = HtmlRenderer.builder().extensions(EXTENSIONS).escapeHtml(true).build();
    private final Map<String, Page> rendered = new ConcurrentHashMap<>();

    /**
     * @param path the page's path under /console/help/, e.g. {@code docs/api.md}; empty for the README
     * @throws HelpPageNotFoundException when there is no such page or image
     */
    Page page(String path) {
        String name = path.isEmpty() ? "README.md" : path;
        if (!SAFE.matcher(name).matches() || name.contains("..")) {
            throw new HelpPageNotFoundException(path);
        }
        Page page = rendered.get(name);
        if (page == null) {
            page = load(name);
            rendered.putIfAbsent(name, page);
        }
        return page;
    }

    private Page load(String name) {
        ClassPathResource resource = new ClassPathResource(ROOT + name);
        String extension = name.substring(name.lastIndexOf('.') + 1);
        if (!resource.exists() || !(extension.equals("md") || IMAGES.contains(extension))) {
            throw new HelpPageNotFoundException(name);
        }
        byte[] bytes;
        try (InputStream in = resource.getInputStream()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new HelpPageNotFoundException(name);
        }
        if (!extension.equals("md")) {
            return new Page(bytes, "image/" + extension);
        }
        return new Page(html(name, new String(bytes, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), "text/html;charset=UTF-8");
    }

    private String html(String name, String markdown) {
        Node document = parser.parse(markdown);
        String title = title(document, name);
        // Links between pages stay relative (docs/api.md, ../README.md): this page's URL is under /console/help/ too.
        String base = "/console/help/" + (name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "");
        return """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src 'self' data:; style-src 'self'">
                  <title>%s · latentserve help</title>
                  <base href="%s">
                  <link rel="stylesheet" href="/console/console.css">
                </head>
                <body>
                  <header class="bar"><a class="brand" href="/console/">latent<b>serve</b></a>
                    <nav aria-label="Help"><a href="/console/">Console</a><a href="/console/help/">Help</a></nav></header>
                  <main class="help">
                %s
                  </main>
                </body>
                </html>
                """.formatted(HtmlUtils.htmlEscape(title), base, renderer.render(document));
    }

    private static String title(Node document, String name) {
        for (Node node = document.getFirstChild(); node != null; node = node.getNext()) {
            if (node instanceof Heading heading && heading.getFirstChild() instanceof Text text) {
                return text.getLiteral();
            }
        }
        return name;
    }
}
