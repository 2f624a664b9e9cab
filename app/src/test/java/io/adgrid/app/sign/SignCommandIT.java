package io.adgrid.app.sign;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.event.EventType;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import io.adgrid.persister.testing.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./adgrid sign} against a real catalog in PostgreSQL, named by ADGRID_DB_URL as in a cluster. */
class SignCommandIT {

    private static EmbeddedDatabase database;
    private static HikariDataSource pool;
    private static Map<String, String> env;

    @BeforeAll
    static void catalog() {
        database = TestDatabase.startDemoServer();
        pool = Database.pool(database.settings(), "sign-it", 2);
        env = Map.of("ADGRID_DB_URL", database.settings().url(), "ADGRID_DB_USER", database.settings().user(),
                "ADGRID_DB_PASSWORD", database.settings().password(), "ADGRID_VAR_DIR", "/nonexistent-adgrid-var");
    }

    @AfterAll
    static void stop() {
        pool.close();
        database.close();
    }

    private record Run(int exit, String out, String err) {
        Map<String, String> params() {
            Map<String, String> p = new TreeMap<>();
            new QueryStringDecoder(out.strip()).parameters().forEach((k, v) -> p.put(k, v.get(0)));
            return p;
        }
    }

    private static Run sign(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SignCommand.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static boolean signedFor(EventType type, Map<String, String> params, String secret) {
        return BeaconSigner.verify(BeaconSigner.key(secret), type, params, BeaconSigner.decode(params.get("sig")), false) != null;
    }

    @Test
    void printsOneV2UrlAndTakesAdgridFlagsAsSettingsNeverAsParameters() {
        Run r = sign(env, "i", "b=7", "p=3", "--adgrid.gateway.port=9090", "--adgrid.grid.port=5999");

        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).singleElement().satisfies(line -> assertThat(line).startsWith("http://localhost:9090/i?"));
        assertThat(r.params()).containsOnlyKeys("b", "p", "ts", "n", "sig");
        assertThat(signedFor(EventType.IMPRESSION, r.params(), "demo-secret-7")).isTrue();
        assertThat(signedFor(EventType.CLICK, r.params(), "demo-secret-7")).isFalse();
        assertThat(r.err()).contains("--adgrid.grid.port does not apply");
    }

    @Test
    void gatewayFlagOrPortSetsThePrintedHost() {
        assertThat(sign(env, "i", "b=7", "p=3", "--gateway", "https://beacons.example.com").out()).startsWith("https://beacons.example.com/i?");
        Map<String, String> withPort = new TreeMap<>(env);
        withPort.put("ADGRID_GATEWAY_PORT", "38080");
        assertThat(sign(withPort, "s", "b=7", "p=3", "amount=1.00").out()).startsWith("http://localhost:38080/s?");
    }

    @Test
    void ofAnImpressionUrlPrintsTheClickOfItsRendering() {
        Run impression = sign(env, "i", "b=17", "p=5");

        Run click = sign(env, "c", "--of", impression.out().strip());

        assertThat(click.exit()).isZero();
        assertThat(click.out()).startsWith("http://localhost:8080/c?");
        Map<String, String> i = impression.params();
        Map<String, String> c = click.params();
        for (String name : List.of("b", "p", "ts", "n")) {
            assertThat(c.get(name)).as(name).isEqualTo(i.get(name));
        }
        assertThat(signedFor(EventType.CLICK, c, "demo-secret-7")).isTrue();
        assertThat(c.get("sig")).isNotEqualTo(i.get("sig"));
        assertThat(click.err()).isEmpty();
    }

    @Test
    void aSaleByClickIdIsSignedWithTheKeyOfTheClicksCampaignAndNamesNoBanner() {
        String clickId = io.adgrid.attribution.ClickId.of(BeaconSigner.key("demo-secret-3"), 3, "0", 13, 2, System.currentTimeMillis(),
                new byte[16]);

        Run r = sign(env, "s", "click=" + clickId, "amount=19.90");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("http://localhost:8080/s?");
        assertThat(r.params()).containsOnlyKeys("click", "amount", "order", "ts", "sig").containsEntry("click", clickId);
        assertThat(signedFor(EventType.SALE, r.params(), "demo-secret-3")).isTrue();
        assertThat(sign(env, "s", "click=" + clickId, "b=13", "amount=1").err()).contains("gives no b= or p=");
        assertThat(sign(env, "s", "click=not-an-id", "amount=1").err()).contains("is not a click id");
    }

    @Test
    void withoutKidItSignsWithTheNewestActiveKeyAlsoAfterARetirement() {
        CatalogAdmin admin = new CatalogAdmin(pool);
        admin.addKey(4, "k2", new CatalogAdmin.Secret("campaign-4-rotated-secret"));
        admin.retireKey(4, "0", null);

        Run r = sign(env, "i", "b=4", "p=1");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.params()).containsEntry("kid", "k2");
        assertThat(signedFor(EventType.IMPRESSION, r.params(), "campaign-4-rotated-secret")).isTrue();
        assertThat(sign(env, "i", "b=4", "p=1", "kid=0").err()).contains("retired");
    }

    @Test
    void eventsPrintsTheRequestSignatureOfTheFilesExactBytesWithTheSenderKeysSecret(@TempDir Path dir) throws Exception {
        SenderKeys keys = new SenderKeys(pool);
        String secret = keys.create("sign-it-sender", null, List.of(9L)).secret().value();
        Path body = dir.resolve("batch.ndjson");
        byte[] bytes = "{\"type\":\"i\",\"b\":19,\"p\":3,\"ts\":1700000000000,\"n\":\"r1\"}\n".getBytes(StandardCharsets.UTF_8);
        Files.write(body, bytes);

        Run r = sign(env, "events", "--kid", "sign-it-sender", "--ts", "1700000000000", body.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("X-AdGrid-Signature: kid=sign-it-sender, ts=1700000000000, sig=").endsWith("\n");
        RequestSignature.Header header = RequestSignature.parse(r.out().strip().substring("X-AdGrid-Signature: ".length()));
        assertThat(RequestSignature.verify(BeaconSigner.key(secret.getBytes(StandardCharsets.UTF_8)), "POST", "/events", header, bytes, 0, bytes.length))
                .as("the gateway's check accepts it").isTrue();
        byte[] other = "{}\n".getBytes(StandardCharsets.UTF_8);
        assertThat(RequestSignature.verify(BeaconSigner.key(secret.getBytes(StandardCharsets.UTF_8)), "POST", "/events", header, other, 0, other.length))
                .as("and only for those bytes").isFalse();
    }

    @Test
    void eventsRefusesAnUnknownOrDisabledSenderKeyAndBadArguments(@TempDir Path dir) throws Exception {
        Path body = Files.writeString(dir.resolve("b.ndjson"), "{}\n");
        new SenderKeys(pool).create("sign-it-off", null, List.of(9L));
        new SenderKeys(pool).disable("sign-it-off");

        Run unknown = sign(env, "events", "--kid", "nobody", body.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).contains("no sender key kid=nobody");

        Run disabled = sign(env, "events", "--kid=sign-it-off", body.toString());
        assertThat(disabled.exit()).isEqualTo(1);
        assertThat(disabled.err()).contains("is disabled");

        assertThat(sign(env, "events", body.toString()).err()).contains("--kid (the sender key) is required");
        assertThat(sign(env, "events", "--kid", "k").err()).contains("the body file is required");
        assertThat(sign(env, "events", "--kid", "k", dir.resolve("missing").toString()).err()).contains("no such file");
        assertThat(sign(env, "events", "--kid", "k", "--ts", "soon", body.toString()).err()).contains("--ts must be milliseconds");
        assertThat(sign(env, "events", "--kid", "bad kid", body.toString()).exit()).isEqualTo(2);
    }

    @Test
    void refusesWithoutACatalogInsteadOfStartingADatabase(@TempDir Path empty) throws Exception {
        Files.createDirectories(empty.resolve("lib"));

        Run r = sign(Map.of("ADGRID_VAR_DIR", empty.toString()), "i", "b=7", "p=3");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("no catalog to sign with", "ADGRID_DB_URL");
        assertThat(empty.resolve("pgdata")).doesNotExist();
    }
}
