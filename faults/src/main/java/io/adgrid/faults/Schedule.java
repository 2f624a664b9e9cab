package io.adgrid.faults;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The faults of one run, drawn from its seed alone: the same seed, minutes, member count and
 * nemesis set give the same steps (times, nemeses, targets, durations), whatever the box's speed.
 * Steps overlap; the draw keeps two steps off the same process at the same time, by the time each
 * is expected to hold it, and the runner waits for a process another step still holds.
 */
record Schedule(long seed, int minutes, int members, List<Step> steps) {

    enum Nemesis {
        KILL("kill -9 of one data member, started again after the hold"),
        KILL_TWO("kill -9 of two data members at once"),
        KILL_ALL_MEMBERS("kill -9 of every data member at once; the gateways outlive them"),
        KILL_EVERYTHING("kill -9 of every data member and gateway at once"),
        KILL_GATEWAY("kill -9 of one gateway"),
        PAUSE("SIGSTOP of one data member or gateway past the heartbeat timeout, then SIGCONT"),
        RESTART("graceful restart (SIGTERM, start) of one data member"),
        ROLLING_RESTART("graceful restart of every data member in turn"),
        POSTGRES_STOP("PostgreSQL stopped (fast or immediate), started again after the hold"),
        CLOCK_SKEW("one data member or gateway restarted with libfaketime, minutes off, for the hold"),
        DISK_FULL("the journal tmpfs of one data member filled up for the hold"),
        START_FAILS("an extra data member killed midway through its start (issue 27)"),
        SHARED_JOURNAL_ROOT("another deployment (own database and cluster) on a member's journal root for the hold (issue 27)"),
        // New nemeses go last: a set of the earlier ones then draws exactly what it drew before (ScheduleTest).
        PARTITION("one data member (of 4, sometimes two) cut off in its network namespace for the hold: clean (link down),"
                + " or one way (its packets dropped, or the packets to it)"),
        PROMOTE("PostgreSQL fails over: the primary stopped for good (crash or fast stop), the streaming standby promoted"
                + " after a gap; once a run");

        final String what;

        Nemesis(String what) {
            this.what = what;
        }
    }

    /**
     * @param targets  process names (m1.., g1.., pg, x for an extra process)
     * @param param    skew seconds for CLOCK_SKEW, 1 for an immediate PostgreSQL stop (POSTGRES_STOP, PROMOTE),
     *                 the {@link Network.Cut} ordinal for PARTITION, else 0
     */
    record Step(int atSecond, Nemesis nemesis, List<String> targets, int holdSeconds, int param) {
        @Override
        public String toString() {
            return String.format("t+%3ds %-19s %-14s hold %3ds%s", atSecond, nemesis, String.join(",", targets), holdSeconds,
                    nemesis == Nemesis.CLOCK_SKEW ? String.format(" skew %+ds", param)
                            : nemesis == Nemesis.POSTGRES_STOP ? (param == 1 ? " immediate" : " fast")
                            : nemesis == Nemesis.PARTITION ? " " + Network.Cut.of(param).name().toLowerCase()
                            : nemesis == Nemesis.PROMOTE ? (param == 1 ? " after a crash" : " after a fast stop") : "");
        }
    }

    /** Seconds of load before the first fault. */
    static final int WARM_UP = 15;
    /** What a restarted JVM needs to start and join, on a busy box; a target stays taken that long after its hold. */
    private static final int START = 35;

    static Schedule draw(long seed, int minutes, int members, Set<Nemesis> allowed) {
        Random random = new Random(seed);
        List<String> memberNames = new ArrayList<>();
        for (int m = 1; m <= members; m++) {
            memberNames.add("m" + m);
        }
        List<String> gateways = List.of("g1", "g2");
        Map<String, Integer> busyUntil = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        int end = minutes * 60 - 20;
        if (allowed.isEmpty()) {
            return new Schedule(seed, minutes, members, List.of());
        }
        Nemesis[] weighted = weights(allowed);
        boolean promoted = false;
        for (int t = WARM_UP + random.nextInt(10); t < end; t += 8 + random.nextInt(Math.max(10, 24 - minutes))) {
            int at = t;
            // A few tries per slot: a nemesis whose targets are all taken at that time gives way to another.
            for (int tries = 0; tries < 6; tries++) {
                Nemesis n = weighted[random.nextInt(weighted.length)];
                List<String> freeMembers = memberNames.stream().filter(m -> busyUntil.getOrDefault(m, 0) <= at).collect(Collectors.toList());
                List<String> freeGateways = gateways.stream().filter(g -> busyUntil.getOrDefault(g, 0) <= at).collect(Collectors.toList());
                boolean allMembersFree = freeMembers.size() == members;
                Step step = switch (n) {
                    case KILL -> freeMembers.isEmpty() ? null : new Step(at, n, pick(random, freeMembers, 1), 2 + random.nextInt(15), 0);
                    case KILL_TWO -> freeMembers.size() < 2 ? null : new Step(at, n, pick(random, freeMembers, 2), 2 + random.nextInt(15), 0);
                    case KILL_ALL_MEMBERS -> !allMembersFree ? null : new Step(at, n, memberNames, 2 + random.nextInt(20), 0);
                    case KILL_EVERYTHING -> !allMembersFree || freeGateways.size() < 2 ? null
                            : new Step(at, n, concat(memberNames, gateways), 2 + random.nextInt(10), 0);
                    case KILL_GATEWAY -> freeGateways.isEmpty() ? null : new Step(at, n, pick(random, freeGateways, 1), 2 + random.nextInt(15), 0);
                    case PAUSE -> {
                        List<String> free = concat(freeMembers, freeGateways);
                        yield free.isEmpty() ? null : new Step(at, n, pick(random, free, 1), 20 + random.nextInt(15), 0);
                    }
                    case RESTART -> freeMembers.isEmpty() ? null : new Step(at, n, pick(random, freeMembers, 1), 0, 0);
                    case ROLLING_RESTART -> !allMembersFree ? null : new Step(at, n, memberNames, 0, 0);
                    case POSTGRES_STOP -> busyUntil.getOrDefault("pg", 0) > at ? null
                            : new Step(at, n, List.of("pg"), 5 + random.nextInt(30), random.nextInt(2));
                    case CLOCK_SKEW -> {
                        List<String> free = concat(freeMembers, freeGateways);
                        int skew = (60 + random.nextInt(180)) * (random.nextBoolean() ? 1 : -1);
                        yield free.isEmpty() ? null : new Step(at, n, pick(random, free, 1), 20 + random.nextInt(30), skew);
                    }
                    case DISK_FULL -> freeMembers.isEmpty() ? null : new Step(at, n, pick(random, freeMembers, 1), 10 + random.nextInt(20), 0);
                    case START_FAILS -> busyUntil.getOrDefault("x", 0) > at ? null
                            : new Step(at, n, List.of("x", memberNames.get(random.nextInt(members))), 0, 2 + random.nextInt(10));
                    case SHARED_JOURNAL_ROOT -> busyUntil.getOrDefault("other", 0) > at ? null
                            : new Step(at, n, List.of("other", memberNames.get(random.nextInt(members))), 20 + random.nextInt(30), 0);
                    case PARTITION -> {
                        // Past the heartbeat timeout, so the cut side notices it is alone; with 4 members sometimes two
                        // cut at once (each then alone, and the rest, 2 of 4, has no majority either: every side refuses).
                        int count = members >= 4 && random.nextInt(3) == 0 ? 2 : 1;
                        int cut = random.nextBoolean() ? Network.Cut.CLEAN.ordinal() : 1 + random.nextInt(2);
                        yield freeMembers.size() < count ? null : new Step(at, n, pick(random, freeMembers, count), 20 + random.nextInt(30), cut);
                    }
                    // The old primary is stopped for good, so there is one standby to promote per run.
                    case PROMOTE -> promoted || busyUntil.getOrDefault("pg", 0) > at ? null
                            : new Step(at, n, List.of("pg"), 2 + random.nextInt(15), random.nextInt(2));
                };
                if (step == null) {
                    continue;
                }
                int takes = switch (n) {
                    case ROLLING_RESTART -> members * START;
                    case START_FAILS -> 20;
                    case SHARED_JOURNAL_ROOT, POSTGRES_STOP, DISK_FULL, PROMOTE -> step.holdSeconds() + 10;
                    default -> step.holdSeconds() + START;
                };
                for (String target : step.targets()) {
                    // START_FAILS and SHARED_JOURNAL_ROOT only name the member whose journal root they use.
                    if (!(target.startsWith("m") && (n == Nemesis.START_FAILS || n == Nemesis.SHARED_JOURNAL_ROOT))) {
                        busyUntil.put(target, at + takes);
                    }
                }
                promoted |= n == Nemesis.PROMOTE;
                steps.add(step);
                break;
            }
        }
        return new Schedule(seed, minutes, members, List.copyOf(steps));
    }

    private static Nemesis[] weights(Set<Nemesis> allowed) {
        Map<Nemesis, Integer> w = new HashMap<>();
        for (Nemesis n : Nemesis.values()) {
            w.put(n, switch (n) {
                case KILL, PAUSE, POSTGRES_STOP, CLOCK_SKEW -> 3;
                case KILL_TWO, RESTART, KILL_GATEWAY, DISK_FULL, PARTITION -> 2;
                default -> 1;
            });
        }
        List<Nemesis> out = new ArrayList<>();
        for (Nemesis n : Nemesis.values()) {
            if (allowed.contains(n)) {
                for (int i = 0; i < w.get(n); i++) {
                    out.add(n);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no nemesis allowed");
        }
        return out.toArray(Nemesis[]::new);
    }

    private static List<String> pick(Random random, List<String> from, int count) {
        List<String> copy = new ArrayList<>(from);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(copy.remove(random.nextInt(copy.size())));
        }
        out.sort(null);
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static Set<Nemesis> parse(String list) {
        if (list == null || list.isBlank() || list.equals("all")) {
            return EnumSet.allOf(Nemesis.class);
        }
        if (list.equals("none")) {
            return EnumSet.noneOf(Nemesis.class);
        }
        return Arrays.stream(list.split(",")).map(String::strip).map(s -> Nemesis.valueOf(s.toUpperCase().replace('-', '_')))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Nemesis.class)));
    }

    Set<Nemesis> nemesesUsed() {
        return steps.stream().map(Step::nemesis).collect(Collectors.toCollection(() -> EnumSet.noneOf(Nemesis.class)));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("schedule of seed " + seed + " (" + minutes + " min, " + members + " data members, 2 gateways):");
        for (Step s : steps) {
            sb.append("\n  ").append(s);
        }
        return sb.toString();
    }
}
