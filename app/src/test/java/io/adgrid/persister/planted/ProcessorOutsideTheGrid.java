package io.adgrid.persister.planted;

import java.util.Map;
import com.hazelcast.map.EntryProcessor;

/** A planted violation for {@code ArchitectureTest}: an entry processor written outside grid-node's counters. */
public class ProcessorOutsideTheGrid implements EntryProcessor<Long, Object, Long> {
    @Override
    public Long process(Map.Entry<Long, Object> entry) {
        return entry.getKey();
    }
}
