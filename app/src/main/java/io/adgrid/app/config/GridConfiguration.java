package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.app.health.GridQuorumHealth;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridSettings;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** This process's Hazelcast member: a data member for {@code run} and {@code node}, a lite member otherwise. */
@Configuration(proxyBeanMethods = false)
public class GridConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    GridSettings gridSettings(AdGridProperties props, Role role) {
        AdGridProperties.Grid g = props.grid();
        return new GridSettings(g.clusterName(), GridSettings.parseMembers(props.members()), g.port(),
                !role.dataMember, g.partitionCount(), g.backupCount(), g.kubernetesServiceDns(), g.minMembers(), g.bindInterface());
    }

    /** Readiness {@code gridQuorum}: enough data members for this side of a split to count. */
    @Bean
    GridQuorumHealth gridQuorumHealthIndicator(HazelcastInstance grid, GridSettings settings) {
        return new GridQuorumHealth(grid, DataMembersAtLeast.of(settings));
    }

    /**
     * A data member journals what it applies (closed by its {@code JournalKeeper}); other roles hold
     * no data. A data member joins only once PostgreSQL is migrated: its journal opens (and the grid
     * calls to its partitions stop being retried) right after it joins.
     */
    @Bean(destroyMethod = "shutdown")
    HazelcastInstance hazelcastInstance(GridSettings settings, AdGridProperties props, Role role, Clock clock,
                                        ObjectProvider<HikariDataSource> database) {
        if (!role.dataMember) {
            HazelcastInstance grid = GridMember.start(settings);
            ClusterWindow.compareAsLiteMember(grid, props.gateway().maxAge(), props.gateway().maxAhead());
            return grid;
        }
        database.getIfAvailable();
        ReplayWindow window = new ReplayWindow(props.gateway().maxAge(), props.gateway().maxAhead(), clock);
        HazelcastInstance grid = GridMember.start(settings, props.journal().enabled()
                ? new MemberJournal(props.journal().directory(props.varDir()), props.gateway().replayWindowMinutes()) : null, window);
        try {
            ClusterWindow.joinAsDataMember(grid, window);
        } catch (RuntimeException e) {
            grid.getLifecycleService().terminate();
            throw e;
        }
        return grid;
    }
}
