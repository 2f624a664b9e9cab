package io.adgrid.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import io.adgrid.app.config.SettingsCheck;
import org.junit.jupiter.api.Test;

/**
 * docs/CONFIGURATION.md cannot drift from the code: every setting the properties records bind, and
 * every {@code adgrid.*} default in application.properties, must be on that page under its
 * environment-variable name.
 */
class ConfigurationDocTest {

    static final Path PAGE = Path.of("..", "docs", "CONFIGURATION.md");

    @Test
    void everySettingOfTheCodeIsDocumented() throws IOException {
        String page = Files.readString(PAGE);
        List<String> missing = new ArrayList<>();
        for (String property : settings()) {
            if (!page.contains("`" + environmentName(property) + "`") && !page.contains("`" + legacyEnvironmentName(property) + "`")) {
                missing.add(environmentName(property) + " (" + property + ")");
            }
        }
        assertThat(missing).as("settings missing from docs/CONFIGURATION.md").isEmpty();
    }

    /** Every setting: those the properties records bind (as {@link SettingsCheck} knows them) and the adgrid.* keys of application.properties. */
    static Set<String> settings() throws IOException {
        Set<String> names = new TreeSet<>(SettingsCheck.knownNames().values());
        Properties defaults = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("src", "main", "resources", "application.properties"))) {
            defaults.load(in);
        }
        for (String key : defaults.stringPropertyNames()) {
            if (key.startsWith("adgrid.")) {
                names.add(key);
            }
        }
        return names;
    }

    /** {@code adgrid.gateway.max-age} is {@code ADGRID_GATEWAY_MAXAGE} (Spring's relaxed binding). */
    static String environmentName(String property) {
        return property.replace("-", "").replace('.', '_').toUpperCase();
    }

    /** Spring also binds {@code ADGRID_VAR_DIR} to {@code adgrid.var-dir} (dashes as underscores). */
    static String legacyEnvironmentName(String property) {
        return property.replace('-', '_').replace('.', '_').toUpperCase();
    }
}
