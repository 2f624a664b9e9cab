package io.adgrid.attribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttributionTest {

    @ParameterizedTest
    @ValueSource(strings = {"agclid", "ref", "_", "A9_z", "abcdefghijklmnopqrstuvwxyz012345"})
    void aClickParamIsUpTo32LettersDigitsOrUnderscores(String name) {
        assertThat(Attribution.clickParamProblem(name)).isNull();
        assertThat(new Attribution(name, null).clickParam()).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abcdefghijklmnopqrstuvwxyz0123456", "order.ref", "order-ref", "a b", "a=b", "a&b", "a%20", "ref#", "clé",
            "a\nb", "a?b", "a/b", "a+b", "a~b"})
    void anythingAQueryWouldNeedToEscapeOrAStackWouldRenameIsRefused(String name) {
        assertThat(Attribution.clickParamProblem(name)).startsWith("click_param must be 1-32 characters of A-Z a-z 0-9 _");
        assertThatThrownBy(() -> new Attribution(name, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWindowIsWholeSecondsFromAMinuteTo366Days() {
        assertThat(Attribution.windowProblem(Duration.ofMinutes(1))).isNull();
        assertThat(Attribution.windowProblem(Duration.ofDays(366))).isNull();
        assertThat(Attribution.windowProblem(Duration.ofSeconds(59))).isEqualTo("window must be from 1m to 366d");
        assertThat(Attribution.windowProblem(Duration.ofDays(366).plusSeconds(1))).isEqualTo("window must be from 1m to 366d");
        assertThat(Attribution.windowProblem(Duration.ZERO)).isEqualTo("window must be from 1m to 366d");
        assertThat(Attribution.windowProblem(Duration.ofDays(-1))).isEqualTo("window must be from 1m to 366d");
        assertThat(Attribution.windowProblem(Duration.ofMillis(60_500))).isEqualTo("window must be whole seconds");
    }

    @Test
    void nullIsTheDeploymentsSetting() {
        assertThat(Attribution.clickParamProblem(null)).isNull();
        assertThat(Attribution.windowProblem(null)).isNull();
        assertThat(Attribution.DEFAULTS.isDefault()).isTrue();
        assertThat(new Attribution("ref", null).isDefault()).isFalse();
        assertThat(new Attribution(null, Duration.ofDays(7)).isDefault()).isFalse();
    }

    @Test
    void aWindowIsReadLikeTheSettingOrAsIso8601AndShownShortest() {
        assertThat(Attribution.parseWindow("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Attribution.parseWindow("36h")).isEqualTo(Duration.ofHours(36));
        assertThat(Attribution.parseWindow("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Attribution.parseWindow("600s")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Attribution.parseWindow("P7D")).isEqualTo(Duration.ofDays(7));
        assertThat(Attribution.parseWindow("PT36H")).isEqualTo(Duration.ofHours(36));
        for (String bad : new String[] {"", "7", "7 d", "7D", "-7d", "7w", "1.5h", "P", "PT", "P7X", "seven days", "1234567890d"}) {
            assertThat(Attribution.parseWindow(bad)).as(bad).isNull();
        }
        assertThat(Attribution.show(Duration.ofDays(30))).isEqualTo("30d");
        assertThat(Attribution.show(Duration.ofHours(36))).isEqualTo("36h");
        assertThat(Attribution.show(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Attribution.show(Duration.ofSeconds(61))).isEqualTo("61s");
    }
}
