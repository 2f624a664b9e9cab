package io.adgrid.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import io.adgrid.gateway.batching.OverloadedException;
import io.adgrid.gateway.fraud.KnownRobots.Judgement;
import org.junit.jupiter.api.Test;

/** Known robots by User-Agent: Yauaa's judgement, cached, and a bounded wait for new User-Agents. */
class KnownRobotsTest {

    static final String FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    static final String IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            + " Version/17.0 Mobile/15E148 Safari/604.1";
    static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    static final String GOOGLEBOT_MOBILE = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko)"
            + " Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    @Test
    void yauaaTellsCrawlersAndCommandLineClientsFromBrowsers() {
        try (KnownRobots robots = KnownRobots.detecting(100, 100)) {
            assertThat(reasons(robots, GOOGLEBOT, GOOGLEBOT_MOBILE, "curl/8.5.0", "python-requests/2.31.0",
                    "Java-http-client/17.0.12", FIREFOX, IPHONE))
                    .containsExactly("robot", "robot_mobile", "robot", "robot", "robot", "human", "human");
            assertThat(robots.ready()).isTrue();
        }
    }

    @Test
    void aBeaconWithoutAUserAgentIsNotJudgedAndDetectionOffJudgesNone() {
        try (KnownRobots off = KnownRobots.off(); KnownRobots on = new KnownRobots(true, 10, 10, ua -> new Judgement("robot"))) {
            assertThat(on.judge(null).join().robot()).isFalse();
            assertThat(off.judge(GOOGLEBOT).join().robot()).isFalse();
            assertThat(off.ready()).isTrue();
        }
    }

    @Test
    void aUserAgentIsJudgedOnceAndThenAnsweredAtOnce() {
        AtomicInteger judged = new AtomicInteger();
        try (KnownRobots robots = new KnownRobots(true, 10, 10, ua -> {
            judged.incrementAndGet();
            return new Judgement("spy");
        })) {
            assertThat(robots.judge("x").join().reason()).isEqualTo("spy");
            CompletableFuture<Judgement> again = robots.judge("x");

            assertThat(again).isDone();
            assertThat(again.join().reason()).isEqualTo("spy");
            assertThat(judged).hasValue(1);
        }
    }

    @Test
    void newUserAgentsBeyondTheQueueAreOverloadNotAStalledEventLoop() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        try (KnownRobots robots = new KnownRobots(true, 10, 1, ua -> {
            started.countDown();
            await(release);
            return Judgement.HUMAN;
        })) {
            CompletableFuture<Judgement> first = robots.judge("a");
            started.await();
            CompletableFuture<Judgement> queued = robots.judge("b");
            CompletableFuture<Judgement> refused = robots.judge("c");

            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::join).hasCauseInstanceOf(OverloadedException.class);
            release.countDown();
            assertThat(first.join().robot()).isFalse();
            assertThat(queued.join().robot()).isFalse();
        }
    }

    @Test
    void aVeryLongUserAgentIsJudgedByItsStart() {
        AtomicInteger longest = new AtomicInteger();
        try (KnownRobots robots = new KnownRobots(true, 10, 10, ua -> {
            longest.accumulateAndGet(ua.length(), Math::max);
            return Judgement.HUMAN;
        })) {
            robots.judge(FIREFOX + "x".repeat(100_000)).join();
            assertThat(longest).hasValue(KnownRobots.MAX_LENGTH);
        }
    }

    private static List<String> reasons(KnownRobots robots, String... userAgents) {
        return java.util.Arrays.stream(userAgents).map(ua -> robots.judge(ua).join())
                .map(j -> j.robot() ? j.reason() : "human").toList();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
