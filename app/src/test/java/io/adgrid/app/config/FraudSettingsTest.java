package io.adgrid.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.PropertiesPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;

/** The fraud settings bind from their environment variables, over the shipped defaults. */
class FraudSettingsTest {

    private static AdGridProperties.Fraud bind(Map<String, Object> environment) throws Exception {
        StandardEnvironment env = new StandardEnvironment();
        // Named like the real one: Spring maps ADGRID_X_Y names only for the system environment source.
        env.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
        Properties defaults = PropertiesLoaderUtils.loadProperties(new ClassPathResource("application.properties"));
        env.getPropertySources().addLast(new PropertiesPropertySource("defaults", defaults));
        return new Binder(ConfigurationPropertySources.from(env.getPropertySources()))
                .bind("adgrid.fraud", AdGridProperties.Fraud.class).get();
    }

    @Test
    void defaultsAreThirtyClicksPerIpAndMinuteAndNoTrustedProxy() throws Exception {
        AdGridProperties.Fraud fraud = bind(Map.of());

        assertThat(fraud.maxClicksPerIpPerMinute()).isEqualTo(30);
        assertThat(fraud.trustedProxy()).isFalse();
        assertThat(fraud.knownRobots()).isTrue();
    }

    @Test
    void environmentVariablesOverrideThem() throws Exception {
        AdGridProperties.Fraud fraud = bind(Map.of("ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE", "7", "ADGRID_FRAUD_TRUSTEDPROXY", "true",
                "ADGRID_FRAUD_KNOWNROBOTS", "false"));

        assertThat(fraud.maxClicksPerIpPerMinute()).isEqualTo(7);
        assertThat(fraud.trustedProxy()).isTrue();
        assertThat(fraud.knownRobots()).isFalse();
    }
}
