package io.adgrid.gatling.saturation;

/**
 * What one load level achieved, all rates in requests per second of the level's duration, by send time.
 *
 * @param offeredRps the rate the injection profile asked for
 * @param sentRps    what Gatling actually sent (below offered: the load generator is the bottleneck)
 * @param okRps      answered with the success answer (2xx, 302)
 * @param shedRps    answered 503 (overload shedding, re-sent after the run)
 * @param errorRps   anything else: timeouts, connection errors, other statuses
 */
public record LevelStats(int level, double offeredRps, double sentRps, double okRps, double shedRps, double errorRps,
        long p50Ms, long p99Ms) {
}
