package io.adgrid.reporting.ops;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

/** Runs on every member and answers its {@link LocalHistory} (empty when the process keeps none). */
public final class MemberHistoryTask implements Callable<ArrayList<OpsPoint>>, Serializable, HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;
    private transient HazelcastInstance grid;

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.grid = hazelcastInstance;
    }

    @Override
    public ArrayList<OpsPoint> call() {
        return grid.getUserContext().get(LocalHistory.USER_CONTEXT_KEY) instanceof LocalHistory h ? new ArrayList<>(h.points()) : new ArrayList<>();
    }
}
