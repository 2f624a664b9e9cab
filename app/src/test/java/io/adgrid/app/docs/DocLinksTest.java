package io.adgrid.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the README and the docs/ pages points at a file that exists and, with a
 * {@code #fragment}, at a heading of that file (GitHub's anchor rules).
 */
class DocLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*$");

    @Test
    void everyLinkResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            for (String target : links(Files.readString(page))) {
                String problem = check(page, target);
                if (problem != null) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (" + problem + ")");
                }
            }
        }
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void anchorsFollowGitHubRules() {
        assertThat(anchor("The gateway's catalog")).isEqualTo("the-gateways-catalog");
        assertThat(anchor("Beacons (port 8080)")).isEqualTo("beacons-port-8080");
        assertThat(anchor("Suspect clicks (fraud signals)")).isEqualTo("suspect-clicks-fraud-signals");
        assertThat(anchor("`GET /i` vs nginx")).isEqualTo("get-i-vs-nginx");
    }

    @Test
    void aMissingFileOrAnchorIsReported() throws IOException {
        Path readme = ROOT.resolve("README.md");
        assertThat(check(readme, "docs/NO-SUCH-PAGE.md")).isEqualTo("no such file");
        assertThat(check(readme, "docs/API.md#no-such-heading")).isEqualTo("no such anchor");
        assertThat(check(readme, "docs/API.md")).isNull();
    }

    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("k8s/README.md"),
                ROOT.resolve("gatling/README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    static List<String> links(String markdown) {
        List<String> links = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            }
            if (fenced) {
                continue;
            }
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                String target = m.group(1);
                if (!target.matches("^[a-z]+:.*")) {
                    links.add(target);
                }
            }
        }
        return links;
    }

    /** Null when the link resolves, else what is wrong. */
    static String check(Path page, String target) throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (hash < 0 || Files.isDirectory(resolved)) {
            return null;
        }
        return anchors(Files.readString(resolved)).contains(target.substring(hash + 1)) ? null : "no such anchor";
    }

    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            }
            Matcher m = HEADING.matcher(line);
            if (!fenced && m.matches()) {
                String base = anchor(m.group(1));
                String a = base;
                for (int n = 1; !anchors.add(a); n++) {
                    a = base + "-" + n;
                }
            }
        }
        return anchors;
    }

    /** GitHub: lower case, drop punctuation but hyphens and underscores, spaces become hyphens. */
    static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\s_-]", "").replace(' ', '-');
    }
}
