package io.adgrid.gatling.exactness;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The last verdict of each simulation run in this JVM (GatlingSmokeIT reads it after an in-process run). */
public final class Verdicts {

    private static final Map<String, Verdict> LAST = new ConcurrentHashMap<>();

    private Verdicts() {
    }

    public static void record(Verdict v) {
        LAST.put(v.simulation(), v);
    }

    public static Optional<Verdict> last(String simulation) {
        return Optional.ofNullable(LAST.get(simulation));
    }

    public static void clear(String simulation) {
        LAST.remove(simulation);
    }
}
