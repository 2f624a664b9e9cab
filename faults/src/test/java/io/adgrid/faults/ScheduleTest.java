package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
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
        for (long seed = 0; seed < 30; seed++) {
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
}
