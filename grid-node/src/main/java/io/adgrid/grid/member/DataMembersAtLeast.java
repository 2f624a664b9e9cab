package io.adgrid.grid.member;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import com.hazelcast.cluster.Member;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;

/**
 * Split-brain protection counting the data members that vote: gateways and reporting join as lite
 * members, and a lone data member with many gateways around it must still know it is the smaller side.
 *
 * <p>With a TCP-IP join list, only data members at a listed address vote. A data member started
 * elsewhere (an extra one, or one on a port the list does not name) still holds data, but a lone
 * member plus such extras once made a "majority" that declared the real holders' partitions lost
 * and named a second grid life while the first one lived on (issue 18, seeds 2 and 13). With
 * Kubernetes discovery there is no list: every data member votes, and the majority is the operator's
 * to keep in step with the replicas.
 *
 * @param seats the listed {@code host[:port]} addresses; empty: every data member votes
 */
public record DataMembersAtLeast(int minimum, List<String> seats) implements SplitBrainProtectionFunction {

    public DataMembersAtLeast {
        seats = List.copyOf(seats);
    }

    /** Every data member votes. */
    public DataMembersAtLeast(int minimum) {
        this(minimum, List.of());
    }

    /**
     * The protection a member with {@code settings} applies (see {@link #notAMajority} for what is refused).
     */
    public static DataMembersAtLeast of(GridSettings settings) {
        String problem = notAMajority(settings.members(), settings.kubernetesDiscovery(), settings.minMembers());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new DataMembersAtLeast(settings.minMembers(), listed(settings.members(), settings.kubernetesDiscovery())
                ? settings.members() : List.of());
    }

    /**
     * Why {@code minMembers} cannot protect the listed members, or null: with a list, a minimum above 1
     * must be a majority of it (with 2 of 4, both halves of a split would count).
     */
    public static String notAMajority(List<String> members, boolean kubernetesDiscovery, int minMembers) {
        int seats = members.size();
        if (!listed(members, kubernetesDiscovery) || minMembers <= 1 || minMembers > seats / 2) {
            return null;
        }
        return "ADGRID_GRID_MINMEMBERS=" + minMembers + " is not a majority of the " + seats + " data member addresses in ADGRID_MEMBERS ("
                + String.join(",", members) + "): set it to " + (seats / 2 + 1) + ", or to 1 to turn the split-brain protection off";
    }

    private static boolean listed(List<String> members, boolean kubernetesDiscovery) {
        return !kubernetesDiscovery && members.stream().allMatch(DataMembersAtLeast::plain);
    }

    /** An address this check reads: not one of Hazelcast's wildcards ({@code 10.0.0.*}) or ranges ({@code 10.0.0.1-9}). */
    private static boolean plain(String seat) {
        String host = seat.lastIndexOf(':') < 0 ? seat : seat.substring(0, seat.lastIndexOf(':'));
        return !host.contains("*") && !host.matches("[0-9.]*-[0-9.-]*");
    }

    @Override
    public boolean apply(Collection<Member> members) {
        return voters(members) >= minimum;
    }

    /** The data members among {@code members} that vote. */
    public long voters(Collection<Member> members) {
        return members.stream().filter(m -> !m.isLiteMember() && votes(m)).count();
    }

    private boolean votes(Member member) {
        if (seats.isEmpty()) {
            return true;
        }
        for (String seat : seats) {
            if (holds(seat, member)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code member} is at {@code seat} ({@code host:port}, or {@code host} for any port of it). */
    private static boolean holds(String seat, Member member) {
        int colon = seat.lastIndexOf(':');
        String host = colon < 0 ? seat : seat.substring(0, colon);
        if (colon >= 0) {
            try {
                if (Integer.parseInt(seat.substring(colon + 1)) != member.getAddress().getPort()) {
                    return false;
                }
            } catch (NumberFormatException portRange) {
                // A form this check does not read (a port range): the seat takes any port of its host.
            }
        }
        if (host.equals(member.getAddress().getHost())) {
            return true;
        }
        try {
            // The JVM caches lookups; a name that resolves to the member's address is its seat.
            return InetAddress.getByName(host).equals(member.getAddress().getInetAddress());
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
