package io.adgrid.gateway.fraud;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.adgrid.gateway.batching.OverloadedException;
import nl.basjes.parse.useragent.UserAgent;
import nl.basjes.parse.useragent.UserAgentAnalyzer;

/**
 * Known robots by User-Agent (issue 21, general invalid traffic): a beacon whose User-Agent Yauaa
 * classes as a robot, a spy or a hacker is counted as invalid, never billed.
 *
 * Yauaa is exact but slow for a hot path: loading its rules takes seconds and about 90 MB of heap
 * (once per JVM, shared), and one uncached judgement takes 0.1-0.5 ms. So judgements are cached by
 * User-Agent (a hit is a hash lookup on the event loop), and a miss is judged on one thread of its
 * own behind a bounded queue: a flood of new User-Agents waits there or is answered 503
 * (overloaded), and never stalls the event loops. Until the rules are loaded, misses wait in that
 * queue.
 */
public final class KnownRobots implements AutoCloseable {

    /** A beacon's judgement: {@code reason} is null for a beacon not from a known robot. */
    public record Judgement(String reason) {
        static final Judgement HUMAN = new Judgement(null);

        public boolean robot() {
            return reason != null;
        }
    }

    /** Yauaa's device classes that are robots; the reason is the class in snake case ("robot_mobile"). */
    private static final Set<String> ROBOT_CLASSES = Set.of("Robot", "Robot Mobile", "Robot Imitator", "Spy", "Hacker");
    /** Longer User-Agents are judged by their first this many characters (Yauaa's own limit is 2048). */
    static final int MAX_LENGTH = 512;
    private static final CompletableFuture<Judgement> HUMAN = CompletableFuture.completedFuture(Judgement.HUMAN);

    private final boolean enabled;
    private final Function<String, Judgement> classifier;
    private final Cache<String, Judgement> judged;
    private final ThreadPoolExecutor misses;

    KnownRobots(boolean enabled, int cacheSize, int queue, Function<String, Judgement> classifier) {
        this.enabled = enabled;
        this.classifier = classifier;
        this.judged = Caffeine.newBuilder().maximumSize(cacheSize).build();
        this.misses = enabled ? new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "adgrid-known-robots");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** Judges User-Agents with Yauaa; starts loading its rules now (in the background) unless this JVM has them. */
    public static KnownRobots detecting(int cacheSize, int queue) {
        Rules.load();
        return new KnownRobots(true, cacheSize, queue, KnownRobots::classify);
    }

    /** Judges no beacon a robot (detection switched off). */
    public static KnownRobots off() {
        return new KnownRobots(false, 1, 1, ua -> Judgement.HUMAN);
    }

    public boolean enabled() {
        return enabled;
    }

    /** Whether a beacon can be judged without waiting for the rules to load. */
    public boolean ready() {
        return !enabled || Rules.ANALYZER.isDone();
    }

    /**
     * The judgement of a beacon with this User-Agent header (null when it has none: a beacon
     * without one is not judged). Completes at once for a User-Agent judged before; completes
     * exceptionally with {@link OverloadedException} when too many new ones wait.
     */
    public CompletableFuture<Judgement> judge(String userAgent) {
        if (!enabled || userAgent == null) {
            return HUMAN;
        }
        String key = userAgent.length() > MAX_LENGTH ? userAgent.substring(0, MAX_LENGTH) : userAgent;
        Judgement known = judged.getIfPresent(key);
        if (known != null) {
            return known.robot() ? CompletableFuture.completedFuture(known) : HUMAN;
        }
        try {
            return CompletableFuture.supplyAsync(() -> judged.get(key, classifier), misses);
        } catch (RejectedExecutionException full) {
            return CompletableFuture.failedFuture(new OverloadedException("too many new User-Agents waiting to be judged"));
        }
    }

    static Judgement classify(String userAgent) {
        UserAgent parsed = Rules.ANALYZER.join().parse(userAgent);
        String deviceClass = parsed.getValue(UserAgent.DEVICE_CLASS);
        return ROBOT_CLASSES.contains(deviceClass)
                ? new Judgement(deviceClass.toLowerCase(Locale.ROOT).replace(' ', '_')) : Judgement.HUMAN;
    }

    @Override
    public void close() {
        if (misses != null) {
            misses.shutdownNow();
        }
    }

    /** Yauaa's rules, loaded once per JVM on a thread of their own (the gateway's other start-up work goes on). */
    private static final class Rules {
        static final CompletableFuture<UserAgentAnalyzer> ANALYZER = CompletableFuture.supplyAsync(() ->
                UserAgentAnalyzer.newBuilder().withField(UserAgent.DEVICE_CLASS).hideMatcherLoadStats().dropTests()
                        .withoutCache().immediateInitialization().build(), runnable -> {
            Thread t = new Thread(runnable, "adgrid-known-robots-load");
            t.setDaemon(true);
            t.start();
        });

        static void load() {
            // Touching the class starts the load.
        }
    }
}
