package io.adgrid.reporting.ops;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.member.MemberSnapshot;

/**
 * Every member's snapshot at one instant.
 *
 * @param time       when the reading was taken (epoch milliseconds, reporting process clock)
 * @param unanswered members that did not answer in time, with the reason
 */
public record ClusterSample(long time, List<MemberSnapshot> members, Map<String, String> unanswered) {

    Map<String, MemberSnapshot> byUuid() {
        Map<String, MemberSnapshot> out = new LinkedHashMap<>();
        members.forEach(m -> out.put(m.uuid(), m));
        return out;
    }
}
