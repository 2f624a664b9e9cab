package io.adgrid.grid.member;

import java.util.Collection;
import com.hazelcast.cluster.Member;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;

/**
 * Split-brain protection counting data members only: gateways and reporting join as lite members,
 * and a lone data member with many gateways around it must still know it is the smaller side.
 */
public record DataMembersAtLeast(int minimum) implements SplitBrainProtectionFunction {

    @Override
    public boolean apply(Collection<Member> members) {
        int data = 0;
        for (Member m : members) {
            if (!m.isLiteMember()) {
                data++;
            }
        }
        return data >= minimum;
    }
}
