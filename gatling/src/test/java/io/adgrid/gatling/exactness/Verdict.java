package io.adgrid.gatling.exactness;

import java.util.List;

/**
 * The end of every simulation: did the reporting API count exactly the distinct events that got a 2xx?
 *
 * @param comparisons stats answers compared (targets x sources)
 * @param problems    every reason the verdict is not a pass (empty when it passes)
 * @param table       the human-readable comparison, as printed
 */
public record Verdict(String simulation, boolean passed, long acceptedEvents, int comparisons, List<String> problems, String table) {
}
