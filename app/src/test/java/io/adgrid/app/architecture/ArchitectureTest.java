package io.adgrid.app.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * Issue 19: rooms that stay rooms. The rules run on AdGrid's main classes of every module (the app
 * module sees them all), and each is shown to catch a violation (planted ones in {@code planted}).
 */
class ArchitectureTest {

    /** Main classes only: not test classes, and not the test-jars other modules publish for their fixtures. */
    private static final ImportOption MAIN_CLASSES = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");

    private static final JavaClasses ADGRID = new ClassFileImporter().withImportOption(MAIN_CLASSES).importPackages("io.adgrid");

    /** Hazelcast's internals (operations, the node engine, map service) are touched in one package only. */
    static final ArchRule HAZELCAST_INTERNALS_CONFINED = noClasses().that().resideOutsideOfPackage("io.adgrid.grid.hazelcast..")
            .should().dependOnClassesThat().resideInAnyPackage("com.hazelcast..impl..", "com.hazelcast.internal..")
            .because("the grid port's Hazelcast implementation is the one place that may break on a Hazelcast upgrade");

    /** No package depends, directly or not, on a package that depends on it. */
    static final ArchRule NO_PACKAGE_CYCLES = slices().matching("io.adgrid.(**)").should().beFreeOfCycles();

    /** Reports read; they never take part in accepting or counting beacons. */
    static final ArchRule REPORTING_OFF_THE_WRITE_PATH = noClasses().that().resideInAPackage("io.adgrid.reporting..")
            .should().dependOnClassesThat().resideInAnyPackage("io.adgrid.gateway..")
            .because("the reporting process must not be able to accept or count an event");

    /**
     * Above grid-node, the grid is its port ({@code io.adgrid.grid.port}): neither the entries' mutable state and
     * entry processors ({@code grid.counters}) nor the Hazelcast implementation ({@code grid.hazelcast}) is used.
     */
    static final ArchRule GRID_USED_THROUGH_ITS_PORT = noClasses().that().resideOutsideOfPackage("io.adgrid.grid..")
            .should().dependOnClassesThat().resideInAnyPackage("io.adgrid.grid.counters..", "io.adgrid.grid.hazelcast..")
            .because("a change to the grid's state or to its Hazelcast implementation must not reach the gateway, persister or reports");

    /** Code that runs on a partition's entries is the grid's own: written, serialized and versioned in grid-node. */
    static final ArchRule ENTRY_PROCESSORS_IN_THE_GRID = noClasses()
            .that().resideOutsideOfPackages("io.adgrid.grid.counters..", "io.adgrid.grid.hazelcast..")
            .should().dependOnClassesThat().areAssignableTo(com.hazelcast.map.EntryProcessor.class)
            .because("an entry processor sees RouteState and crosses the network; its wire form must be the grid's");

    /** The port's types depend on nothing but themselves, reach sketches and the event types. */
    static final ArchRule PORT_STANDS_ALONE = classes().that().resideInAPackage("io.adgrid.grid.port..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("io.adgrid.grid.port..", "io.adgrid.grid.reach..", "io.adgrid.event..",
                    "java..")
            .because("the port is what other modules compile against: no Hazelcast, no grid machinery");

    @Test
    void hazelcastInternalsStayInTheGridPortsImplementation() {
        HAZELCAST_INTERNALS_CONFINED.check(ADGRID);
    }

    @Test
    void noPackageCycles() {
        NO_PACKAGE_CYCLES.check(ADGRID);
    }

    @Test
    void reportingStaysOffTheWritePath() {
        REPORTING_OFF_THE_WRITE_PATH.check(ADGRID);
    }

    @Test
    void otherModulesUseTheGridThroughItsPort() {
        GRID_USED_THROUGH_ITS_PORT.check(ADGRID);
    }

    @Test
    void entryProcessorsLiveInTheGrid() {
        ENTRY_PROCESSORS_IN_THE_GRID.check(ADGRID);
    }

    @Test
    void thePortStandsAlone() {
        PORT_STANDS_ALONE.check(ADGRID);
    }

    @Test
    void eachRuleCatchesAPlantedViolation() {
        // Hazelcast's own map service stands in for a class outside the port that uses Hazelcast's internals:
        // a planted AdGrid source doing so would itself be what the rule forbids in the tree.
        JavaClasses outsideThePort = new ClassFileImporter().importClasses(com.hazelcast.map.impl.MapService.class);
        assertThatThrownBy(() -> HAZELCAST_INTERNALS_CONFINED.check(outsideThePort)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("MapService");
        JavaClasses planted = new ClassFileImporter().importPackages("io.adgrid.app.architecture.planted");
        assertThatThrownBy(() -> NO_PACKAGE_CYCLES.check(planted)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected");
        JavaClasses reporting = new ClassFileImporter().importPackages("io.adgrid.reporting.planted");
        assertThatThrownBy(() -> REPORTING_OFF_THE_WRITE_PATH.check(reporting)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("ReportingThatCounts");
        JavaClasses gateway = new ClassFileImporter().importPackages("io.adgrid.gateway.planted");
        assertThatThrownBy(() -> GRID_USED_THROUGH_ITS_PORT.check(gateway)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("GatewayOnTheEntries");
        JavaClasses persister = new ClassFileImporter().importPackages("io.adgrid.persister.planted");
        assertThatThrownBy(() -> ENTRY_PROCESSORS_IN_THE_GRID.check(persister)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("ProcessorOutsideTheGrid");
        JavaClasses port = new ClassFileImporter().importPackages("io.adgrid.grid.port.planted");
        assertThatThrownBy(() -> PORT_STANDS_ALONE.check(port)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("PortOnHazelcast");
    }
}
