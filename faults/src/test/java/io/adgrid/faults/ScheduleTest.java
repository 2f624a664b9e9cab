package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    @Test
    void theSameSeedDrawsTheSameSchedule() {
        for (long seed = 0; seed < 50; seed++) {
            Schedule a = Schedule.draw(seed, 10, 4, EnumSet.allOf(Schedule.Nemesis.class));
            Schedule b = Schedule.draw(seed, 10, 4, EnumSet.allOf(Schedule.Nemesis.class));
            assertThat(a).isEqualTo(b);
            assertThat(a.toString()).isEqualTo(b.toString());
        }
        assertThat(Schedule.draw(1, 10, 4, EnumSet.allOf(Schedule.Nemesis.class)))
                .isNotEqualTo(Schedule.draw(2, 10, 4, EnumSet.allOf(Schedule.Nemesis.class)));
    }

    @Test
    void manySeedsTogetherUseEveryNemesisAndStepsOverlap() {
        EnumSet<Schedule.Nemesis> used = EnumSet.noneOf(Schedule.Nemesis.class);
        boolean overlap = false;
        // 60 seeds: with fifteen nemeses the rarest (KILL_EVERYTHING, every process free at once) needs more than 30.
        for (long seed = 0; seed < 60; seed++) {
            Schedule s = Schedule.draw(seed, 10, 4, EnumSet.allOf(Schedule.Nemesis.class));
            used.addAll(s.nemesesUsed());
            for (int i = 1; i < s.steps().size(); i++) {
                Schedule.Step prev = s.steps().get(i - 1);
                overlap |= prev.holdSeconds() > 0 && s.steps().get(i).atSecond() < prev.atSecond() + prev.holdSeconds();
            }
        }
        assertThat(used).isEqualTo(EnumSet.allOf(Schedule.Nemesis.class));
        assertThat(overlap).isTrue();
    }

    @Test
    void stepsStayWithinTheRunAndOnlyUseAllowedNemeses() {
        EnumSet<Schedule.Nemesis> allowed = EnumSet.of(Schedule.Nemesis.KILL, Schedule.Nemesis.PAUSE);
        for (long seed = 0; seed < 30; seed++) {
            Schedule s = Schedule.draw(seed, 2, 3, allowed);
            assertThat(s.steps()).isNotEmpty().allMatch(step -> allowed.contains(step.nemesis()))
                    .allMatch(step -> step.atSecond() >= Schedule.WARM_UP && step.atSecond() < 120);
        }
    }

    @Test
    void noTwoStepsHoldTheSameProcessAtOnceByTheirExpectedTimes() {
        for (long seed = 0; seed < 30; seed++) {
            Schedule s = Schedule.draw(seed, 10, 3, EnumSet.of(Schedule.Nemesis.KILL, Schedule.Nemesis.PAUSE));
            for (int i = 0; i < s.steps().size(); i++) {
                for (int j = i + 1; j < s.steps().size(); j++) {
                    Schedule.Step a = s.steps().get(i);
                    Schedule.Step b = s.steps().get(j);
                    if (a.targets().stream().anyMatch(b.targets()::contains)) {
                        assertThat(b.atSecond()).as("seed %d: %s then %s", seed, a, b).isGreaterThanOrEqualTo(a.atSecond() + a.holdSeconds());
                    }
                }
            }
        }
    }

    /** The thirteen nemeses before PARTITION and PROMOTE: with them alone, a seed replays what it drew before they came. */
    private static final EnumSet<Schedule.Nemesis> EARLIER = EnumSet.range(Schedule.Nemesis.KILL, Schedule.Nemesis.SHARED_JOURNAL_ROOT);

    @Test
    void theEarlierNemesesDrawWhatTheyDrewBeforeTheNewOnesCame() {
        // seed 2, 10 min, 4 members, every nemesis, as printed by --dry-run on main ba8a9e5
        String before = String.join("\n",
                "schedule of seed 2 (10 min, 4 data members, 2 gateways):",
                "  t+ 23s DISK_FULL           m4             hold  17s",
                "  t+ 36s KILL                m1             hold  11s",
                "  t+ 49s CLOCK_SKEW          m2             hold  44s skew -134s",
                "  t+ 57s POSTGRES_STOP       pg             hold  12s fast",
                "  t+ 75s KILL_TWO            m3,m4          hold   9s",
                "  t+ 83s RESTART             m1             hold   0s",
                "  t+ 98s KILL_GATEWAY        g2             hold  12s",
                "  t+118s DISK_FULL           m1             hold  17s",
                "  t+126s KILL                m3             hold  10s",
                "  t+147s POSTGRES_STOP       pg             hold   5s fast",
                "  t+156s PAUSE               m4             hold  34s",
                "  t+176s START_FAILS         x,m1           hold   0s",
                "  t+197s KILL_GATEWAY        g2             hold   7s",
                "  t+210s RESTART             m2             hold   0s",
                "  t+229s PAUSE               g1             hold  23s",
                "  t+243s CLOCK_SKEW          m4             hold  35s skew +167s",
                "  t+251s KILL_GATEWAY        g2             hold  15s",
                "  t+268s CLOCK_SKEW          m1             hold  42s skew -111s",
                "  t+276s POSTGRES_STOP       pg             hold  33s fast",
                "  t+293s KILL                m2             hold  12s",
                "  t+308s SHARED_JOURNAL_ROOT other,m4       hold  27s",
                "  t+320s DISK_FULL           m4             hold  19s",
                "  t+333s DISK_FULL           m3             hold  28s",
                "  t+341s KILL_GATEWAY        g1             hold   4s",
                "  t+353s PAUSE               m1             hold  20s",
                "  t+367s RESTART             m4             hold   0s",
                "  t+381s POSTGRES_STOP       pg             hold  30s fast",
                "  t+400s RESTART             m3             hold   0s",
                "  t+420s PAUSE               g2             hold  27s",
                "  t+439s POSTGRES_STOP       pg             hold  12s immediate",
                "  t+458s CLOCK_SKEW          m2             hold  45s skew +159s",
                "  t+472s KILL                m3             hold   4s",
                "  t+481s SHARED_JOURNAL_ROOT other,m3       hold  41s",
                "  t+492s POSTGRES_STOP       pg             hold  26s immediate",
                "  t+511s KILL                m3             hold   4s",
                "  t+525s KILL                m1             hold   5s",
                "  t+541s RESTART             m2             hold   0s",
                "  t+552s KILL_TWO            m3,m4          hold  10s",
                "  t+567s RESTART             m1             hold   0s",
                "  t+579s KILL_GATEWAY        g1             hold  12s");
        assertThat(EARLIER).hasSize(13);
        assertThat(Schedule.draw(2, 10, 4, EARLIER).toString()).isEqualTo(before);
    }

    @Test
    void partitionsCutOneMemberOrTwoOfFourPastTheHeartbeatTimeout() {
        EnumSet<Schedule.Nemesis> partition = EnumSet.of(Schedule.Nemesis.PARTITION);
        java.util.Set<Network.Cut> cuts = EnumSet.noneOf(Network.Cut.class);
        boolean twoAtOnce = false;
        for (long seed = 0; seed < 30; seed++) {
            for (int members : new int[] {3, 4}) {
                Schedule s = Schedule.draw(seed, 10, members, partition);
                assertThat(s.steps()).isNotEmpty();
                for (Schedule.Step step : s.steps()) {
                    assertThat(step.targets()).allMatch(t -> t.matches("m[1-" + members + "]"))
                            .hasSizeBetween(1, members == 4 ? 2 : 1);
                    assertThat(step.holdSeconds()).isGreaterThan(Cluster.HEARTBEAT_SECONDS);
                    cuts.add(Network.Cut.of(step.param()));
                    twoAtOnce |= step.targets().size() == 2;
                }
            }
        }
        assertThat(cuts).containsExactlyInAnyOrder(Network.Cut.values());
        assertThat(twoAtOnce).isTrue();
        assertThat(Schedule.draw(5, 3, 3, partition).toString()).containsPattern("PARTITION +m[123] +hold +\\d+s (clean|mute|deaf)");
    }

    @Test
    void theStandbyIsPromotedAtMostOnceAndNeverWhilePostgresIsStopped() {
        EnumSet<Schedule.Nemesis> allowed = EnumSet.of(Schedule.Nemesis.PROMOTE, Schedule.Nemesis.POSTGRES_STOP, Schedule.Nemesis.KILL);
        int promotions = 0;
        for (long seed = 0; seed < 30; seed++) {
            Schedule s = Schedule.draw(seed, 10, 3, allowed);
            long promotes = s.steps().stream().filter(step -> step.nemesis() == Schedule.Nemesis.PROMOTE).count();
            assertThat(promotes).as("seed %d", seed).isLessThanOrEqualTo(1);
            promotions += promotes;
            List<Schedule.Step> pg = s.steps().stream().filter(step -> step.targets().contains("pg")).toList();
            for (int i = 1; i < pg.size(); i++) {
                Schedule.Step a = pg.get(i - 1);
                assertThat(pg.get(i).atSecond()).as("seed %d: %s then %s", seed, a, pg.get(i)).isGreaterThanOrEqualTo(a.atSecond() + a.holdSeconds());
            }
            s.steps().stream().filter(step -> step.nemesis() == Schedule.Nemesis.PROMOTE)
                    .forEach(step -> assertThat(step.toString()).containsPattern("after a (crash|fast stop)"));
        }
        assertThat(promotions).isGreaterThan(15);
    }

    @Test
    void aPartitionedMemberIsHeldByNoOtherStepUntilItsHoldIsOver() {
        EnumSet<Schedule.Nemesis> allowed = EnumSet.of(Schedule.Nemesis.PARTITION, Schedule.Nemesis.KILL, Schedule.Nemesis.KILL_TWO,
                Schedule.Nemesis.PROMOTE);
        for (long seed = 0; seed < 30; seed++) {
            Schedule s = Schedule.draw(seed, 10, 4, allowed);
            for (int i = 0; i < s.steps().size(); i++) {
                for (int j = i + 1; j < s.steps().size(); j++) {
                    Schedule.Step a = s.steps().get(i);
                    Schedule.Step b = s.steps().get(j);
                    if (a.targets().stream().anyMatch(b.targets()::contains)) {
                        assertThat(b.atSecond()).as("seed %d: %s then %s", seed, a, b).isGreaterThanOrEqualTo(a.atSecond() + a.holdSeconds());
                    }
                }
            }
        }
    }

    @Test
    void theNewNemesesAreNamedOnTheCommandLine() {
        assertThat(Schedule.parse("partition,promote")).containsExactlyInAnyOrder(Schedule.Nemesis.PARTITION, Schedule.Nemesis.PROMOTE);
        assertThat(Schedule.parse("all")).contains(Schedule.Nemesis.PARTITION, Schedule.Nemesis.PROMOTE);
    }
}
