package io.adgrid.grid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.spi.impl.SerializationServiceSupport;

/**
 * A member's own serialization service, for tests that round-trip grid values as a member would
 * send them: it is a Hazelcast internal, so it lives in the one package allowed to use those.
 */
public final class SerializationRoundTrip {

    private final SerializationService serialization;

    public SerializationRoundTrip(HazelcastInstance member) {
        this.serialization = ((SerializationServiceSupport) member).getSerializationService();
    }

    /** {@code object} serialized and read back. */
    public Object copy(Object object) {
        return serialization.toObject(serialization.toData(object));
    }
}
