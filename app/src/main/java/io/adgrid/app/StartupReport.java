package io.adgrid.app;

import java.nio.file.Path;
import io.adgrid.app.config.AdGridProperties;
import io.adgrid.app.config.DatabaseConfiguration.ResolvedDatabase;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.reporting.admin.AdminToken;
import io.adgrid.app.config.Role;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/** Says where everything is once the process is ready: ports, data, the admin token file. */
class StartupReport implements ApplicationListener<ApplicationReadyEvent> {

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        var ctx = event.getApplicationContext();
        Role role = ctx.getBean(Role.class);
        AdGridProperties props = ctx.getBean(AdGridProperties.class);
        Environment env = ctx.getEnvironment();
        HazelcastInstance grid = ctx.getBean(HazelcastInstance.class);
        ResolvedDatabase db = ctx.getBean(ResolvedDatabase.class);
        ObjectProvider<AdminToken> token = ctx.getBeanProvider(AdminToken.class);
        Path var = props.varDir().toAbsolutePath().normalize();
        StringBuilder sb = new StringBuilder("\n=== AdGrid ").append(role.command()).append(" is ready ===\n");
        if (role.gateway) {
            sb.append("  beacons     http://localhost:").append(ctx.getBean(GatewayServer.class).port()).append("/i /c /s /events   health /healthz\n");
        }
        if (role.reporting) {
            String port = env.getProperty("local.server.port", env.getProperty("server.port"));
            sb.append("  reporting   http://localhost:").append(port).append("/api/v1/stats   dashboard /   OpenAPI /v3/api-docs\n");
        }
        sb.append("  grid        ").append(grid.getCluster().getLocalMember().getAddress())
                .append(role.dataMember ? " (data member), " : " (lite member), ")
                .append(grid.getCluster().getMembers().size()).append(" member(s) in cluster '").append(props.grid().clusterName()).append("'\n");
        sb.append("  database    ").append(db.settings().redactedUrl()).append(db.owned() != null ? " (embedded, data in " + var.resolve("pgdata") + ")" : "").append('\n');
        if (token.getIfAvailable() != null) {
            boolean configured = props.admin().token() != null && !props.admin().token().isBlank();
            sb.append("  admin token ").append(configured ? "from ADGRID_ADMIN_TOKEN" : "in " + var.resolve(AdminToken.FILE)).append('\n');
        }
        if (props.demo()) {
            sb.append("  demo        try: curl -i -A Mozilla/5.0 \"$(./adgrid sign i b=7 p=3)\"\n");
        }
        System.out.println(sb);
    }
}
