package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.app.Role;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import com.hazelcast.core.HazelcastInstance;
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
                !role.dataMember, g.partitionCount(), g.backupCount(), g.kubernetesServiceDns(), g.minMembers());
    }

    @Bean(destroyMethod = "shutdown")
    HazelcastInstance hazelcastInstance(GridSettings settings) {
        return GridMember.start(settings);
    }
}
