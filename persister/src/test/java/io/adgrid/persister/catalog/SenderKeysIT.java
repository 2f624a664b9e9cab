package io.adgrid.persister.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import io.adgrid.catalog.SenderKey;
import io.adgrid.persister.catalog.CatalogAdmin.Problem;
import io.adgrid.persister.catalog.CatalogAdmin.RefusedException;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Sender keys (issue 23) on real PostgreSQL: what the admin writes, what the gateway's catalog reader
 * streams (every key whole, on every call, whatever the version asked for), and secrets never read back
 * or logged.
 */
class SenderKeysIT {

    private static final String SUPPLIED = "supplied-sender-secret-1";
    private static TestDatabase db;
    private SenderKeys keys;
    private JdbcCatalogSource source;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeAll
    static void startDatabase() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @BeforeEach
    void catalog() {
        db.sql("TRUNCATE sender_key CASCADE");
        db.sql("TRUNCATE campaign_budget, campaign_price, campaign_secret, banner, publisher, campaign, catalog_deletion");
        DemoCatalog.seedIfEmpty(db.dataSource());
        keys = new SenderKeys(db.dataSource());
        source = new JdbcCatalogSource(db.dataSource());
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void noSecretWasLogged() {
        root.detachAppender(logs);
        for (ILoggingEvent e : logs.list) {
            assertThat(e.getFormattedMessage()).doesNotContain(SUPPLIED);
        }
    }

    @Test
    void aCreatedKeyReachesTheCatalogReaderWithItsCampaignsAndSigns() {
        SenderKeys.WithSecret generated = keys.create("s1", null, List.of(3L, 1L));
        SenderKeys.WithSecret supplied = keys.create("s2", new Secret(SUPPLIED), List.of(2L));

        assertThat(generated.secret().value()).matches("[A-Za-z0-9_-]{43}");
        assertThat(generated.key().campaigns()).containsExactly(1L, 3L);
        assertThat(supplied.secret().value()).isEqualTo(SUPPLIED);
        assertThat(keys.list()).extracting(SenderKeys.View::kid).containsExactly("s1", "s2");

        RecordedChanges read = new RecordedChanges();
        long version = source.changesSince(0, read);
        RecordedChanges again = new RecordedChanges();
        source.changesSince(version, again);
        assertThat(again.rows).as("nothing else changed").isEmpty();
        assertThat(again.senderKeys).as("streamed whole on every call").hasSize(2);

        SenderKey s1 = read.senderKeys.get(0);
        assertThat(s1.kid()).isEqualTo("s1");
        assertThat(s1.allows(1)).isTrue();
        assertThat(s1.allows(3)).isTrue();
        assertThat(s1.allows(2)).isFalse();
        assertThat(s1.disabled()).isFalse();
        byte[] body = "{}\n".getBytes(StandardCharsets.UTF_8);
        String header = RequestSignature.header(BeaconSigner.key(generated.secret().value()), "POST", "/events", "s1", 1, body);
        assertThat(header).isEqualTo(RequestSignature.header(s1.secret(), "POST", "/events", "s1", 1, body));
    }

    @Test
    void rotationKeepsThePreviousSecretForTheOverlapAndDisablingEndsEverything() {
        SenderKeys.WithSecret first = keys.create("s1", new Secret(SUPPLIED), List.of(1L));
        SenderKeys.WithSecret second = keys.rotate("s1", null, Duration.ofMinutes(10));

        assertThat(second.secret().value()).isNotEqualTo(first.secret().value());
        assertThat(second.key().rotatedAt()).isNotNull();
        assertThat(second.key().previousUntil()).isAfter(second.key().rotatedAt().plusSeconds(590));
        SenderKey read = readKey("s1");
        long now = System.currentTimeMillis();
        assertThat(read.secret()).isEqualTo(BeaconSigner.key(second.secret().value()));
        assertThat(read.previousAt(now)).isEqualTo(BeaconSigner.key(SUPPLIED));
        assertThat(read.previousAt(now + 11 * 60_000)).as("after the overlap").isNull();

        keys.rotate("s1", null, Duration.ZERO);
        assertThat(readKey("s1").previousAt(now)).as("no overlap asked").isNull();

        SenderKeys.View disabled = keys.disable("s1");
        assertThat(disabled.disabledAt()).isNotNull();
        assertThat(readKey("s1").disabled()).isTrue();
        assertThatThrownBy(() -> keys.disable("s1")).isInstanceOf(RefusedException.class)
                .satisfies(e -> assertThat(((RefusedException) e).problem()).isEqualTo(Problem.CONFLICT));
        assertThatThrownBy(() -> keys.rotate("s1", null, null)).isInstanceOf(RefusedException.class)
                .satisfies(e -> assertThat(((RefusedException) e).problem()).isEqualTo(Problem.CONFLICT));
    }

    @Test
    void badRequestsAreRefusedWithTheirProblem() {
        keys.create("s1", null, List.of(1L));
        assertProblem(() -> keys.create("s1", null, List.of(1L)), Problem.CONFLICT);
        assertProblem(() -> keys.create("s 2", null, List.of(1L)), Problem.INVALID);
        assertProblem(() -> keys.create("s2", null, List.of(99L)), Problem.INVALID);
        assertProblem(() -> keys.create("s2", null, List.of()), Problem.INVALID);
        assertProblem(() -> keys.create("s2", null, List.of(1L, 1L)), Problem.INVALID);
        assertProblem(() -> keys.create("s2", null, List.of(-1L)), Problem.INVALID);
        assertProblem(() -> keys.create("s2", new Secret("short"), List.of(1L)), Problem.INVALID);
        assertProblem(() -> keys.rotate("s1", null, Duration.ofDays(8)), Problem.INVALID);
        assertProblem(() -> keys.rotate("nope", null, null), Problem.NOT_FOUND);
        assertProblem(() -> keys.setCampaigns("nope", List.of(1L)), Problem.NOT_FOUND);
        assertThat(keys.list()).extracting(SenderKeys.View::kid).containsExactly("s1");
    }

    @Test
    void aCampaignListIsReplacedWholeAndADeletedCampaignLeavesIt() {
        keys.create("s1", null, List.of(1L, 2L));
        assertThat(keys.setCampaigns("s1", List.of(2L, 5L)).campaigns()).containsExactly(2L, 5L);
        db.sql("DELETE FROM banner WHERE campaign_id = 5");
        db.sql("DELETE FROM campaign WHERE id = 5");
        assertThat(keys.get("s1").orElseThrow().campaigns()).containsExactly(2L);
        assertThat(readKey("s1").allows(5)).isFalse();
    }

    private SenderKey readKey(String kid) {
        RecordedChanges read = new RecordedChanges();
        source.changesSince(0, read);
        return read.senderKeys.stream().filter(k -> k.kid().equals(kid)).findFirst().orElseThrow();
    }

    private static void assertProblem(Runnable r, Problem p) {
        assertThatThrownBy(r::run).isInstanceOf(RefusedException.class).satisfies(e -> assertThat(((RefusedException) e).problem()).isEqualTo(p));
    }
}
