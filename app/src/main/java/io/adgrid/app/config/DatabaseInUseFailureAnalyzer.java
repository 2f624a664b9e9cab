package io.adgrid.app.config;

import io.adgrid.persister.embedded.EmbeddedDatabase;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A second process on a var directory whose database runs: what to do, without a stack trace. */
public final class DatabaseInUseFailureAnalyzer extends AbstractFailureAnalyzer<EmbeddedDatabase.InUseException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, EmbeddedDatabase.InUseException cause) {
        return new FailureAnalysis(cause.getMessage(), "Stop the other AdGrid process, or start this one with ADGRID_VAR_DIR "
                + "naming a directory of its own.", cause);
    }
}
