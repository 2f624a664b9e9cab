package io.adgrid.gateway.fraud;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.adgrid.bench.BenchUserAgents;
import io.adgrid.gateway.fraud.KnownRobots.Judgement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What judging a beacon's User-Agent for known robots costs the gateway (issue 21), per beacon:
 * <ul>
 *   <li>{@code judgeHit}: {@link KnownRobots#judge} as the gateway builds it (100,000 User-Agents
 *       cached, 1,000 waiting), every User-Agent of the mix judged once before: a cache hit, answered
 *       on the caller's thread. The beacons' User-Agents are {@link BenchUserAgents#distinct()} (a few
 *       hundred browsers and robots) in a Zipf-like stream;</li>
 *   <li>{@code missNewBrowser}: Yauaa's uncached judgement ({@link KnownRobots#classify}, what the
 *       miss thread runs) of a never-seen User-Agent: a Chrome whose build number changes each call;</li>
 *   <li>{@code missMix}: the same over the mix's User-Agents in turn (the analyzer is built without
 *       Yauaa's own cache, so each call is a full parse although the strings repeat);</li>
 *   <li>{@code smallCache}: {@code judge} with a cache of only {@value SmallCache#SIZE} User-Agents over the
 *       same stream, so that about half the beacons miss: a miss goes to the miss thread, as in the
 *       gateway, and the call waits for it ({@code join}). Prints the hit rate at the end.</li>
 * </ul>
 * {@code baseline} is {@code KnownRobots.off().judge} (detection switched off). Every benchmark
 * makes the User-Agent a new {@code String} from the header's bytes, as Netty does for each request,
 * so its hash is computed and the cache compares characters, as in the gateway.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KnownRobotsBenchmark {

    /** The gateway's sizes (GatewayConfiguration). */
    static final int KNOWN_USER_AGENTS = 100_000;
    static final int NEW_USER_AGENTS_WAITING = 1_000;
    private static final int STREAM = 1 << 16;
    private static final long SEED = 21;

    /** Beacons' User-Agent headers, Zipf-like over the mix. */
    @State(Scope.Thread)
    public static class Beacons {
        byte[][] stream;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            stream = BenchUserAgents.zipf(BenchUserAgents.distinct(), STREAM, SEED);
        }

        String nextUserAgent() {
            return new String(stream[next++ & (STREAM - 1)], StandardCharsets.ISO_8859_1);
        }
    }

    @State(Scope.Thread)
    public static class Off {
        KnownRobots robots;

        @Setup(Level.Trial)
        public void setUp() {
            robots = KnownRobots.off();
        }
    }

    /** The gateway's detection with every User-Agent of the mix judged once. */
    @State(Scope.Thread)
    public static class Cached {
        KnownRobots robots;

        @Setup(Level.Trial)
        public void setUp() {
            robots = KnownRobots.detecting(KNOWN_USER_AGENTS, NEW_USER_AGENTS_WAITING);
            List<String> all = BenchUserAgents.distinct();
            int robotsFound = 0;
            for (String ua : all) {
                robotsFound += robots.judge(ua).join().robot() ? 1 : 0; // waits for the rules to load the first time
            }
            for (String ua : all) {
                if (!robots.judge(new String(ua)).isDone()) {
                    throw new IllegalStateException("not cached after a judgement: " + ua);
                }
            }
            System.out.printf(Locale.ROOT, "%nKnownRobots mix: %d distinct User-Agents (%d listed as robots), Yauaa judged %d robots%n",
                    all.size(), BenchUserAgents.robots(), robotsFound);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (String ua : BenchUserAgents.distinct()) {
                if (!robots.judge(ua).isDone()) {
                    throw new IllegalStateException("evicted while measured: " + ua);
                }
            }
            robots.close();
        }
    }

    /** New User-Agents, and Yauaa's rules loaded. */
    @State(Scope.Thread)
    public static class Fresh {
        List<String> mix;
        int build;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            KnownRobots.detecting(1, 1).close(); // starts loading the rules
            mix = BenchUserAgents.distinct().stream().map(String::new).toList();
            if (KnownRobots.classify(newBrowser()).robot()
                    || !KnownRobots.classify("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)").robot()) {
                throw new IllegalStateException("Yauaa does not tell Chrome from Googlebot");
            }
        }

        /** A Chrome on Windows never seen before: its build and patch numbers change with each call. */
        String newBrowser() {
            int n = build++;
            return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0."
                    + (n >>> 10) + "." + (n & 1023) + " Safari/537.36";
        }

        String nextOfMix() {
            return mix.get(next++ % mix.size());
        }
    }

    /** A cache too small for the mix: about half the beacons miss and wait for the miss thread. */
    @State(Scope.Thread)
    public static class SmallCache {
        static final int SIZE = 20;
        KnownRobots robots;
        long calls;
        long hits;

        @Setup(Level.Trial)
        public void setUp() {
            robots = new KnownRobots(true, SIZE, NEW_USER_AGENTS_WAITING, KnownRobots::classify);
            KnownRobots.classify("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"); // waits for the rules
        }

        @Setup(Level.Iteration)
        public void count() {
            calls = 0;
            hits = 0;
        }

        @TearDown(Level.Iteration)
        public void hitRate() {
            System.out.printf(Locale.ROOT, " [cache of %d: %.1f %% hits of %,d beacons]", SIZE, 100.0 * hits / calls, calls);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            robots.close();
        }
    }

    @Benchmark
    public Judgement baseline(Beacons beacons, Off off) {
        return off.robots.judge(beacons.nextUserAgent()).getNow(null);
    }

    @Benchmark
    public Judgement judgeHit(Beacons beacons, Cached cached) {
        return cached.robots.judge(beacons.nextUserAgent()).getNow(null);
    }

    @Benchmark
    public Judgement missNewBrowser(Fresh fresh) {
        return KnownRobots.classify(fresh.newBrowser());
    }

    @Benchmark
    public Judgement missMix(Fresh fresh) {
        return KnownRobots.classify(fresh.nextOfMix());
    }

    @Benchmark
    public Judgement smallCache(Beacons beacons, SmallCache small) {
        CompletableFuture<Judgement> judged = small.robots.judge(beacons.nextUserAgent());
        small.calls++;
        if (judged.isDone()) {
            small.hits++;
        }
        return judged.join();
    }
}
