package io.adgrid.grid.hazelcast;

import io.adgrid.grid.counters.GridSerialization;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.spi.impl.SerializationServiceSupport;

/**
 * A member's own serialization service, for tests that round-trip grid values as a member would
 * send them: it is a Hazelcast internal, so it lives in the one package allowed to use those.
 */
public final class SerializationRoundTrip {

    private final SerializationService serialization;

    public SerializationRoundTrip(HazelcastInstance member) {
        this(((SerializationServiceSupport) member).getSerializationService());
    }

    private SerializationRoundTrip(SerializationService serialization) {
        this.serialization = serialization;
    }

    /** Without a member: a serialization service that knows the grid's own classes, for unit tests. */
    public static SerializationRoundTrip withoutMember() {
        SerializationService own = new DefaultSerializationServiceBuilder()
                .addDataSerializableFactory(GridSerialization.FACTORY_ID, new GridSerialization()).build();
        return new SerializationRoundTrip(own);
    }

    /** {@code object} serialized and read back. */
    public Object copy(Object object) {
        return serialization.toObject(serialization.toData(object));
    }
}
