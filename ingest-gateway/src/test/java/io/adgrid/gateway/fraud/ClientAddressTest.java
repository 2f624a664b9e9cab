package io.adgrid.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

    private static InetSocketAddress peer(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void theSameAddressIsTheSameClientWhateverItsPort() {
        assertThat(ClientAddress.key(peer("203.0.113.7", 40000), (String) null, false))
                .isEqualTo(ClientAddress.key(peer("203.0.113.7", 50000), (String) null, false))
                .isNotEqualTo(ClientAddress.key(peer("203.0.113.8", 40000), (String) null, false))
                .isNotEqualTo(ClientAddress.UNKNOWN);
    }

    /** Issue 20: one IPv6 host holds a whole /64; keyed per /128 it would rotate keys for free. */
    @Test
    void ipv6ClientsAreKeyedByTheirSlash64() {
        long host = ClientAddress.key(peer("2001:db8::1", 1), (String) null, false);
        assertThat(ClientAddress.key(peer("2001:db8::2", 1), (String) null, false)).isEqualTo(host);
        assertThat(ClientAddress.key(peer("2001:db8::ffff:1234:5678", 1), (String) null, false)).isEqualTo(host);
        assertThat(ClientAddress.key(peer("2001:db8:0:1::1", 1), (String) null, false)).isNotEqualTo(host);
        SocketAddress proxy = peer("10.0.0.1", 1234);
        assertThat(ClientAddress.key(proxy, "2001:db8::7", true)).isEqualTo(ClientAddress.key(proxy, "2001:db8::8", true))
                .isNotEqualTo(ClientAddress.key(proxy, "2001:db8:0:2::7", true));
    }

    /** Issue 20: a second X-Forwarded-For header (the proxy's) was ignored and the client's own first one read. */
    @Test
    void behindATrustedProxyTheLastOfSeveralForwardedForHeadersCounts() {
        SocketAddress proxy = peer("10.0.0.1", 1234);
        long client = ClientAddress.key(proxy, "198.51.100.9", true);
        assertThat(ClientAddress.key(proxy, List.of("1.2.3.4", "198.51.100.9"), true)).isEqualTo(client);
        assertThat(ClientAddress.key(proxy, List.of("5.6.7.8", "9.9.9.9, 198.51.100.9"), true)).isEqualTo(client);
        assertThat(ClientAddress.key(proxy, List.of("198.51.100.9", "1.2.3.4"), true)).isNotEqualTo(client);
    }

    @Test
    void forwardedForIsIgnoredUnlessTheProxyIsTrusted() {
        SocketAddress proxy = peer("10.0.0.1", 1234);

        assertThat(ClientAddress.key(proxy, "198.51.100.1", false)).isEqualTo(ClientAddress.key(proxy, "198.51.100.2", false))
                .isEqualTo(ClientAddress.key(proxy, (String) null, false));
        assertThat(ClientAddress.key(proxy, "198.51.100.1", true)).isNotEqualTo(ClientAddress.key(proxy, "198.51.100.2", true))
                .isNotEqualTo(ClientAddress.key(proxy, (String) null, true));
    }

    @Test
    void behindATrustedProxyOnlyTheLastForwardedAddressCounts() {
        SocketAddress proxy = peer("10.0.0.1", 1234);
        long client = ClientAddress.key(proxy, "198.51.100.9", true);

        // Whatever the client put in front of it (spoofed entries), the proxy's own entry decides.
        assertThat(ClientAddress.key(proxy, "1.2.3.4, 198.51.100.9", true)).isEqualTo(client);
        assertThat(ClientAddress.key(proxy, "5.6.7.8,198.51.100.9 ", true)).isEqualTo(client);
        assertThat(ClientAddress.key(proxy, "198.51.100.9, 1.2.3.4", true)).isNotEqualTo(client);
    }

    @Test
    void emptyOrOversizedForwardedForFallsBackToThePeer() {
        SocketAddress proxy = peer("10.0.0.1", 1234);
        long peerKey = ClientAddress.key(proxy, (String) null, false);

        assertThat(ClientAddress.key(proxy, "", true)).isEqualTo(peerKey);
        assertThat(ClientAddress.key(proxy, "1.2.3.4, ", true)).isEqualTo(peerKey);
        assertThat(ClientAddress.key(proxy, "x".repeat(65), true)).isEqualTo(peerKey);
    }

    @Test
    void aChannelWithoutAnIpAddressHasNoClient() {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            assertThat(ClientAddress.key(channel.remoteAddress(), (String) null, false)).isEqualTo(ClientAddress.UNKNOWN);
            assertThat(ClientAddress.key(null, (String) null, false)).isEqualTo(ClientAddress.UNKNOWN);
        } finally {
            assertThat(channel.finishAndReleaseAll()).as("messages left unread").isFalse();
        }
    }
}
