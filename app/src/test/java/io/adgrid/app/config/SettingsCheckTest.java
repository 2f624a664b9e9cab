package io.adgrid.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.adgrid.app.AdGrid;
import io.adgrid.app.config.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings are checked before anything starts: one line per problem, naming the setting as it was given. */
class SettingsCheckTest {

    private static List<String> problems(Map<String, Object> variables, String... flags) {
        return SettingsCheck.problems(SettingsCheck.environment(variables, flags));
    }

    @Test
    void theShippedDefaultsAreValid() {
        assertThat(problems(Map.of())).isEmpty();
    }

    @Test
    void aPortOutOfRangeIsOneLineNamingTheVariable() {
        assertThat(problems(Map.of("ADGRID_GATEWAY_PORT", "99999")))
                .containsExactly("ADGRID_GATEWAY_PORT=99999: must be between 0 and 65535");
    }

    @Test
    void aNegativeClickLimitIsRefusedRatherThanMeaningNoLimit() {
        assertThat(problems(Map.of("ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE", "-5")))
                .containsExactly("ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE=-5: must be between 0 and 1000000");
    }

    /** Issue 20: an order remembered for less than the ts window would let a sale posted again count twice. */
    @Test
    void anOrderRetentionShorterThanTheTsWindowIsRefusedNamingBothSettings() {
        assertThat(String.join("\n", problems(Map.of("ADGRID_GATEWAY_ORDERRETENTION", "10m"))))
                .contains("ADGRID_GATEWAY_ORDERRETENTION").contains("shorter than the ts window").contains("ADGRID_GATEWAY_MAXAGE");
        assertThat(problems(Map.of("ADGRID_GATEWAY_ORDERRETENTION", "16m"))).as("max-age 15m + max-ahead 1m").isEmpty();
    }

    /** "A year of data": days are kept forever unless a day retention is set, and one shorter than the hours' is refused. */
    @Test
    void aDayRetentionIsEmptyForForeverAndNeverShorterThanTheHourOrMinuteRetention() {
        assertThat(problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", ""))).isEmpty();
        assertThat(problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "400d"))).as("the hour retention's default").isEmpty();
        assertThat(problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "1095d"))).isEmpty();
        assertThat(problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "45d", "ADGRID_ROLLUP_HOURRETENTION", "40d"))).isEmpty();

        assertThat(problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "365d"))).singleElement().asString()
                .contains("ADGRID_ROLLUP_DAYRETENTION").contains("is 365d, shorter than the hour retention 400d (ADGRID_ROLLUP_HOURRETENTION)")
                .contains("Set it to at least 400d, or leave it empty to keep days forever").doesNotContain("\tat ");
        assertThat(String.join("\n", problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "0"))))
                .as("0 is no retention at all, not 'forever'").contains("shorter than the hour retention");
        assertThat(String.join("\n", problems(Map.of("ADGRID_ROLLUP_DAYRETENTION", "100d", "ADGRID_ROLLUP_MINUTERETENTION", "200d",
                "ADGRID_ROLLUP_HOURRETENTION", "40d"))))
                .contains("is 100d, shorter than the minute retention 200d (ADGRID_ROLLUP_MINUTERETENTION)");
        assertThat(problems(Map.of(), "--adgrid.rollup.day-retention=40000d")).singleElement().asString()
                .startsWith("--adgrid.rollup.day-retention=40000d: must be shorter than or equal to 36500 days");
    }

    @Test
    void aSplitBrainMinimumThatIsNotAMajorityOfTheMembersIsOneLineBeforeAnythingStarts() {
        assertThat(String.join("\n", problems(Map.of("ADGRID_MEMBERS", "h1:5701,h2:5701,h3:5701,h4:5701", "ADGRID_GRID_MINMEMBERS", "2"))))
                .contains("ADGRID_GRID_MINMEMBERS=2 is not a majority of the 4 data member addresses").contains("set it to 3")
                .doesNotContain("\tat ");
        assertThat(problems(Map.of("ADGRID_MEMBERS", "h1:5701,h2:5701,h3:5701,h4:5701", "ADGRID_GRID_MINMEMBERS", "3"))).isEmpty();
    }

    @Test
    void aMisspeltFlagNamesTheClosestValidOne() {
        assertThat(problems(Map.of(), "--adgrid.gateway.prot=9090"))
                .containsExactly("--adgrid.gateway.prot: unknown setting; did you mean --adgrid.gateway.port?");
    }

    @Test
    void testHooksGivenAsJvmPropertiesAreNotSettingsButMisspeltJvmPropertiesAre() {
        // The fault runner passes -Dadgrid.test.keep-deleted-journals; its first run with it never started.
        System.setProperty("adgrid.test.keep-deleted-journals", "/tmp/kept");
        System.setProperty("adgrid.gateway.prot", "9090");
        try {
            assertThat(problems(Map.of())).containsExactly("adgrid.gateway.prot: unknown setting; did you mean adgrid.gateway.port?");
        } finally {
            System.clearProperty("adgrid.test.keep-deleted-journals");
            System.clearProperty("adgrid.gateway.prot");
        }
    }

    @Test
    void aMisspeltVariableNamesTheClosestValidVariable() {
        assertThat(problems(Map.of("ADGRID_FRAUD_MAXCLICKSPERIP", "5")))
                .containsExactly("ADGRID_FRAUD_MAXCLICKSPERIP: unknown setting; did you mean ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE?");
    }

    @Test
    void validVariablesAndFlagsInEveryFormAreAccepted() {
        assertThat(problems(Map.of("ADGRID_GATEWAY_MAXREQUESTDELAY", "0", "ADGRID_REPORTING_PORT", "9181", "ADGRID_JAVA_OPTS", "-Xmx1g"),
                "--adgrid.fraud.max-clicks-per-ip-per-minute=0", "--adgrid.ops.metrics-port=0", "--adgrid.writeBehind.interval=2s"))
                .isEmpty();
    }

    @Test
    void durationsAndSizesHaveRanges() {
        assertThat(problems(Map.of("ADGRID_WRITEBEHIND_INTERVAL", "0s", "ADGRID_GATEWAY_MAXBODYSIZE", "10B")))
                .containsExactlyInAnyOrder("ADGRID_WRITEBEHIND_INTERVAL=0s: must be longer than or equal to 10 millis",
                        "ADGRID_GATEWAY_MAXBODYSIZE=10B: must be from 1KB to 1GB");
    }

    @Test
    void aValueThatDoesNotConvertIsOneLine() {
        assertThat(problems(Map.of(), "--adgrid.gateway.port=eighty")).singleElement().asString()
                .startsWith("--adgrid.gateway.port=eighty: cannot be read");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThat(problems(Map.of("ADGRID_GATEWAY_PORT", "99999", "ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE", "-5"),
                "--adgrid.gateway.prot=9090")).hasSize(3);
    }

    @Test
    void nothingStartsWhenASettingIsWrong(@TempDir Path var) {
        assertThatThrownBy(() -> AdGrid.start(Role.RUN, "--adgrid.var-dir=" + var, "--adgrid.gateway.port=99999",
                "--adgrid.grid.port=9799", "--adgrid.members=127.0.0.1:9799"))
                .isInstanceOf(SettingsCheck.InvalidSettingsException.class)
                .hasMessage("--adgrid.gateway.port=99999: must be between 0 and 65535");
        // no embedded PostgreSQL (pgdata), no journal, no catalog files
        assertThat(var.toFile().list()).isEmpty();
        assertThat(Files.exists(var.resolve("pgdata"))).isFalse();
    }
}
