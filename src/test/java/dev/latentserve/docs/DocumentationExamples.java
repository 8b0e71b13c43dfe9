package dev.latentserve.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The shell examples of the README and of the {@code docs/} pages it links, in reading order: every fenced
 * {@code bash} block, each run unless the line before its fence is {@code <!-- not run: why -->}. The reader's path is
 * the README, then each linked page in the order the README first links it.
 */
final class DocumentationExamples {

    /** The marker that keeps a block out of the run; it must say why. */
    static final Pattern NOT_RUN = Pattern.compile("<!--\\s*not run:\\s*(.*?)\\s*-->");
    private static final Pattern PAGE_LINK = Pattern.compile("\\]\\((docs/[a-z0-9-]+\\.md)(?:#[^)]*)?\\)");

    /**
     * One fenced block.
     *
     * @param file the page, relative to the repository root
     * @param line the line of its opening fence, 1-based
     * @param notRun why it is not run, or null when it is
     */
    record Example(String file, int line, String code, @Nullable String notRun) {

        boolean runs() {
            return notRun == null;
        }

        String where() {
            return file + ":" + line;
        }
    }

    private DocumentationExamples() {
    }

    /** The pages in reading order: README.md, then every docs page it links, in the order of first link. */
    static List<String> pages(Path root) {
        Set<String> pages = new LinkedHashSet<>();
        pages.add("README.md");
        Matcher links = PAGE_LINK.matcher(read(root.resolve("README.md")));
        while (links.find()) {
            pages.add(links.group(1));
        }
        return List.copyOf(pages);
    }

    /** Every bash block of every page, in reading order. */
    static List<Example> all(Path root) {
        List<Example> examples = new ArrayList<>();
        for (String page : pages(root)) {
            examples.addAll(parse(page, read(root.resolve(page))));
        }
        return examples;
    }

    /** The bash blocks of one page's Markdown. */
    static List<Example> parse(String file, String markdown) {
        List<Example> examples = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        String previous = "";
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.strip().equals("```bash")) {
                int start = i;
                StringBuilder code = new StringBuilder();
                for (i++; i < lines.length && !lines[i].strip().equals("```"); i++) {
                    code.append(lines[i]).append('\n');
                }
                Matcher marker = NOT_RUN.matcher(previous);
                examples.add(new Example(file, start + 1, code.toString(), marker.find() ? marker.group(1) : null));
            }
            if (!line.isBlank()) {
                previous = line;
            }
        }
        return examples;
    }

    /**
     * One bash script that runs {@code examples} in order against a service on {@code port}: each block's
     * {@code localhost:8080} becomes {@code localhost:<port>}, every curl call fails on an HTTP error status, and a
     * line on standard error names each block as it starts and says how long it took.
     */
    static String script(List<Example> examples, int port) {
        StringBuilder script = new StringBuilder("""
                set -euo pipefail
                # The README's curl function calls `command curl`, which finds this one first: an error status fails the
                # run, except for a call that prints its status itself (-w), as an example of an error does.
                mkdir -p .bin
                cat > .bin/curl <<'CURL'
                #!/usr/bin/env bash
                case " $* " in
                  *" -w "*) exec /usr/bin/curl --max-time 900 "$@" ;;
                  *) exec /usr/bin/curl --fail-with-body --max-time 900 "$@" ;;
                esac
                CURL
                chmod +x .bin/curl
                export PATH="$PWD/.bin:$PATH"
                """);
        for (Example example : examples) {
            if (!example.runs()) {
                continue;
            }
            script.append("echo '>>> ").append(example.where()).append("' >&2; SECONDS=0\n")
                    .append(example.code().replace("localhost:8080", "localhost:" + port))
                    .append("echo \"<<< ").append(example.where()).append(" took ${SECONDS} s\" >&2\n");
        }
        return script.toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
