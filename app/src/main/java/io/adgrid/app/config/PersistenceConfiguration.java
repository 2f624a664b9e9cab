package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.grid.journal.SliceJournal;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.persister.journal.JournalKeeper;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.rollup.RollupScheduler;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WatermarkPruner;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The write-behind: scheduled on data members for their own entries; on demand (admin flush) everywhere. */
@Configuration(proxyBeanMethods = false)
public class PersistenceConfiguration {

    @Bean(destroyMethod = "close")
    WriteBehind writeBehind(HazelcastInstance grid, HikariDataSource dataSource, Clock clock, AdGridProperties props, Role role) {
        WriteBehind writeBehind = new WriteBehind(grid, new CounterWriter(dataSource), clock, props.gateway().replayWindowMinutes(),
                props.writeBehind().holdOpenMinute());
        if (role.dataMember) {
            writeBehind.start(props.writeBehind().interval());
        }
        return writeBehind;
    }

    /** flush_watermark pruned of rows nobody can ask about, by every data member (deleting twice is harmless). */
    @Bean(destroyMethod = "close")
    WatermarkPruner watermarkPruner(HazelcastInstance grid, HikariDataSource dataSource, AdGridProperties props, Role role) {
        WatermarkPruner pruner = new WatermarkPruner(grid, dataSource, WatermarkPruner.MIN_AGE);
        return role.dataMember ? pruner.start(props.writeBehind().watermarkPruneInterval()) : pruner;
    }

    @Bean
    RollupJob rollupJob(HikariDataSource dataSource, AdGridProperties props) {
        AdGridProperties.Rollup r = props.rollup();
        return new RollupJob(dataSource, new RollupJob.Settings(r.minuteRetention(), r.hourRetention(), r.hourDelay(), r.dayRetention()));
    }

    /** Rollups and retention, run by every data member (an advisory lock lets one at a time do the work). */
    @Bean(destroyMethod = "close")
    RollupScheduler rollupScheduler(RollupJob job, Clock clock, AdGridProperties props, Role role, MeterRegistry metrics) {
        RollupScheduler scheduler = new RollupScheduler(job, clock, role.dataMember ? props.rollup().interval() : null);
        if (role.dataMember) {
            Gauge.builder("adgrid.rollup.lag", scheduler, RollupScheduler::lagSeconds).baseUnit("seconds")
                    .description("How long the oldest hour not rolled up yet has been closed (read after each run)").register(metrics);
            Gauge.builder("adgrid.rollup.last.run", scheduler, RollupScheduler::lastRunEpochSeconds).baseUnit("seconds")
                    .description("When the rollup job last ran, by any process (epoch seconds)").register(metrics);
            Gauge.builder("adgrid.rollup.rows", scheduler, RollupScheduler::rowsRolled)
                    .description("Rows the rollup job has written into counter_hour and counter_day, all processes").register(metrics);
            Gauge.builder("adgrid.rollup.partitions.dropped", scheduler, RollupScheduler::partitionsDropped)
                    .description("Partitions past their retention the rollup job has dropped, all processes").register(metrics);
        }
        return scheduler;
    }

    /**
     * A data member's journal keeper: joins the grid's life, replays journals of dead ones, opens the
     * gateways' gate. Null where there is no journal (the gate is then opened at once by a data member).
     */
    @Bean(destroyMethod = "close")
    JournalKeeper journalKeeper(HazelcastInstance grid, HikariDataSource dataSource, Clock clock, MeterRegistry metrics, Role role,
                                AdGridProperties props, GridSettings gridSettings, WriteBehind writeBehind) {
        if (!role.dataMember) {
            return null;
        }
        if (!(grid.getConfig().getUserContext().get(SliceJournal.USER_CONTEXT_KEY) instanceof MemberJournal journal)) {
            grid.<String, String>getMap(RecoveryGate.MAP).putIfAbsent(RecoveryGate.AWAITING, "");
            return null;
        }
        Gauge.builder("adgrid.journal.written", journal, MemberJournal::bytesWritten).baseUnit("bytes")
                .description("Bytes this member has journaled since it started (owner and backup writes)").register(metrics);
        Gauge.builder("adgrid.journal.full", journal, j -> j.full() ? 1 : 0)
                .description("1 while this member's journal disk is full: it refuses the batches it owns (gateways answer 503) "
                        + "until its reserve can be made again").register(metrics);
        Gauge.builder("adgrid.journal.unjournaled", journal, MemberJournal::unjournaledSlices)
                .description("Slices applied in the grid that this member could not journal (a full disk): held by the "
                        + "grid and by the owner's journal, not by this one").register(metrics);
        JournalKeeper keeper = new JournalKeeper(journal, grid, dataSource, clock, DataMembersAtLeast.of(gridSettings))
                .withStandbyHorizon(props.journal().standbyHorizon());
        // PostgreSQL behind what the grid acknowledged (a failover lost commits): written again from the journal.
        writeBehind.onLostWrites(keeper::lostWritesFound);
        Gauge.builder("adgrid.journal.awaiting", keeper, JournalKeeper::awaitingCount)
                .description("Journal directories of a dead grid life not yet replayed: while above 0 the grid refuses to count "
                        + "(gateways answer 503 recovering); ./adgrid journal list says which").register(metrics);
        // Cut off while the grid went on in a newer life, or unable to join it: only a new start helps.
        keeper.onRestartNeeded(() -> new Thread(() -> System.exit(EXIT_RESTART_NEEDED), "adgrid-restart-needed").start());
        return keeper.start();
    }

    /** Exit status of a data member that must be started again (docs/OPERATIONS.md): its supervisor does it. */
    static final int EXIT_RESTART_NEEDED = 3;
}
