package io.adgrid.gateway.beacon;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import io.adgrid.bench.BenchCatalog;
import io.adgrid.event.EventType;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.Validation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the gateway does with a signed {@code GET /i} before batching it (PixelEndpoint.beacon):
 * parse the query, then validate it over the demo catalog. Distinct beacons (banners, publishers,
 * nonces all varied) so no lookup stays in one cache line; the baseline is the parsing alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ValidationBenchmark {

    private static final int BEACONS = 4096;
    private static final long NOW = 1_795_000_000_000L;

    private BenchCatalog catalog;
    private BeaconValidator validator;
    private String[] uris;
    private int next;

    @Setup
    public void setUp() {
        catalog = BenchCatalog.demo();
        validator = catalog.validator(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        uris = new String[BEACONS];
        for (int i = 0; i < BEACONS; i++) {
            long banner = random.nextLong(1, BenchCatalog.BANNERS + 1);
            long publisher = random.nextLong(1, BenchCatalog.PUBLISHERS + 1);
            long ts = NOW - random.nextLong(0, 600_000);
            String nonce = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
            uris[i] = catalog.signedImpressionUri(banner, publisher, ts, nonce);
            if (!(parseAndValidate(uris[i]) instanceof Validation.Accepted)) {
                throw new IllegalStateException("a demo beacon is not accepted: " + uris[i] + " -> " + parseAndValidate(uris[i]));
            }
        }
    }

    @TearDown
    public void tearDown() {
        catalog.close();
    }

    private Validation parseAndValidate(String uri) {
        return validator.validate(EventType.IMPRESSION, RequestParams.fromQuery(uri, true));
    }

    private String nextUri() {
        return uris[next++ & (BEACONS - 1)];
    }

    @Benchmark
    public Map<String, String> baseline() {
        return RequestParams.fromQuery(nextUri(), true);
    }

    @Benchmark
    public Validation parseAndValidate() {
        return parseAndValidate(nextUri());
    }
}
