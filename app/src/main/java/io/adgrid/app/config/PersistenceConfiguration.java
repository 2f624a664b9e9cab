package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.app.Role;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The write-behind: scheduled on data members for their own entries; on demand (admin flush) everywhere. */
@Configuration(proxyBeanMethods = false)
public class PersistenceConfiguration {

    @Bean(destroyMethod = "close")
    WriteBehind writeBehind(HazelcastInstance grid, HikariDataSource dataSource, Clock clock, AdGridProperties props, Role role) {
        int window = (int) (props.gateway().maxAge().toMinutes() + props.gateway().maxAhead().toMinutes() + 1);
        WriteBehind writeBehind = new WriteBehind(grid, new CounterWriter(dataSource), clock, window);
        if (role.dataMember) {
            writeBehind.start(props.writeBehind().interval());
        }
        return writeBehind;
    }
}
