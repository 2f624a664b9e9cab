package io.adgrid.grid.port;

import java.util.concurrent.ThreadLocalRandom;

/** Identity of one batch sent by one gateway: a random gateway id and that gateway's sequence number. */
public record BatchId(long gateway, long sequence) {

    public static long newGatewayId() {
        return ThreadLocalRandom.current().nextLong();
    }
}
