package io.adgrid.gatling.saturation;

import java.util.List;

/**
 * Where the system stops keeping up: the first level whose p99 exceeds {@code maxP99Ms}, or whose shed plus
 * failed share exceeds {@code maxFailedShare}, or whose successful answers fall below
 * {@code minThroughputShare} of the offered rate.
 */
public record Knee(double maxP99Ms, double maxFailedShare, double minThroughputShare) {

    /** @return the index in {@code levels} of the knee, or -1 when every level kept up */
    public int find(List<LevelStats> levels) {
        for (int i = 0; i < levels.size(); i++) {
            if (reason(levels.get(i)) != null) {
                return i;
            }
        }
        return -1;
    }

    /** Why the level is past the knee, or null when it kept up. */
    public String reason(LevelStats l) {
        if (l.sentRps() == 0) {
            return null;
        }
        if (l.p99Ms() > maxP99Ms) {
            return "p99 " + l.p99Ms() + " ms > " + (long) maxP99Ms + " ms";
        }
        double failed = (l.shedRps() + l.errorRps()) / l.sentRps();
        if (failed > maxFailedShare) {
            return String.format("%.1f %% shed or failed > %.1f %%", failed * 100, maxFailedShare * 100);
        }
        if (l.okRps() < minThroughputShare * l.offeredRps()) {
            return String.format("%.0f ok/s < %.0f %% of the offered %.0f/s", l.okRps(), minThroughputShare * 100, l.offeredRps());
        }
        return null;
    }
}
