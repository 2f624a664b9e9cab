package io.adgrid.gatling.exactness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Compares the reporting API with the {@link Ledger}. Other runs' data stay out by comparing deltas: before
 * the load the simulation reads each target's totals over a window starting at the current minute (every beacon
 * of the run has a later {@code ts}); after it, each target must report exactly baseline + the distinct events
 * that got a 2xx. Nothing else may write to the same campaigns during the run.
 */
public final class Exactness {

    /** The three moments compared: live before the flush, live after it, PostgreSQL only after it. */
    public enum Source {
        LIVE("live", false),
        LIVE_AFTER_FLUSH("live after flush", false),
        DB_AFTER_FLUSH("db after flush", true);

        public final String label;
        final boolean db;

        Source(String label, boolean db) {
            this.label = label;
            this.db = db;
        }
    }

    private record Row(Target target, Source source, Totals expectedDelta, Totals reportedDelta, String error) {
        boolean exact() {
            return error == null && expectedDelta.equals(reportedDelta);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String simulation;
    private final Path reportFile;
    private final String reportingUrl;
    private final Ledger ledger;
    private final List<Target> targets;
    private final Map<Target, Totals> baseline = new ConcurrentHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private volatile Instant from;
    private volatile Instant to;
    private volatile int settled = -1;

    /** @param reportFile where {@link #finish} also writes its table, or null */
    public Exactness(String simulation, Path reportFile, String reportingUrl, Ledger ledger, List<Target> targets) {
        this.simulation = simulation;
        this.reportFile = reportFile;
        this.reportingUrl = reportingUrl;
        this.ledger = ledger;
        this.targets = List.copyOf(targets);
    }

    public List<Target> targets() {
        return targets;
    }

    /** Fixes the stats window: from the start of the current minute, one day long. */
    public void openWindow(Instant now) {
        from = now.truncatedTo(ChronoUnit.MINUTES);
        to = from.plus(Duration.ofDays(1));
    }

    public String statsUrl(Target t, Source source) {
        if (from == null) {
            throw new IllegalStateException("the baseline step did not run");
        }
        return reportingUrl + "/api/v1/stats?" + t.dimension() + "=" + t.id() + "&from=" + from + "&to=" + to
                + "&granularity=total" + (source.db ? "&source=db" : "");
    }

    /** Gatling check function: records a target's totals before the load. */
    public String baseline(Target t, String body) {
        baseline.put(t, parse(body));
        return body;
    }

    public void settled(int resent) {
        settled = resent;
    }

    /**
     * Gatling check function: the reported totals minus the baseline must equal what the ledger booked.
     *
     * @throws IllegalStateException when they differ (the check fails)
     */
    public String compare(Target t, Source source, String body) {
        Totals expected = ledger.totals(t);
        Totals base = baseline.get(t);
        if (base == null) {
            add(new Row(t, source, expected, null, "no baseline"));
            throw new IllegalStateException(t + " (" + source.label + "): no baseline was read");
        }
        Totals reported;
        try {
            reported = parse(body).minus(base);
        } catch (RuntimeException e) {
            add(new Row(t, source, expected, null, e.getMessage()));
            throw new IllegalStateException(t + " (" + source.label + "): unreadable stats answer");
        }
        Row row = new Row(t, source, expected, reported, null);
        add(row);
        if (!row.exact()) {
            throw new IllegalStateException(t + " (" + source.label + "): reported totals differ from the 2xx answers");
        }
        return body;
    }

    private void add(Row row) {
        synchronized (rows) {
            rows.add(row);
        }
    }

    private static Totals parse(String body) {
        try {
            return Totals.ofStatsRow(JSON.readTree(body));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
    }

    /** Decides, prints and records the verdict. */
    public Verdict finish() {
        List<Row> copy;
        synchronized (rows) {
            copy = List.copyOf(rows);
        }
        List<String> problems = new ArrayList<>();
        int expectedRows = targets.size() * Source.values().length;
        if (copy.size() != expectedRows) {
            problems.add("compared " + copy.size() + " stats answers, expected " + expectedRows);
        }
        for (Row r : copy) {
            if (!r.exact()) {
                problems.add(r.target() + " (" + r.source().label + "): " + (r.error() != null ? r.error()
                        : "2xx'd " + r.expectedDelta() + " but reported " + r.reportedDelta()));
            }
        }
        if (ledger.acceptedEvents() == 0) {
            problems.add("no event got a 2xx: nothing was checked");
        }
        for (String u : ledger.undetermined()) {
            problems.add("undetermined: " + u);
        }
        if (ledger.violationCount() > 0) {
            problems.add(ledger.violationCount() + " contract violation(s) seen on the wire, e.g. " + ledger.violations());
        }
        StringBuilder t = new StringBuilder();
        t.append(String.format("%n=== Exactness of %s: window [%s, %s), %d distinct events got a 2xx, %d re-sent after the run ===%n",
                simulation, from, to, ledger.acceptedEvents(), Math.max(settled, 0)));
        t.append(String.format("%-14s %-17s %-48s %-48s %s%n", "target", "source", "2xx'd (distinct)", "reported (minus baseline)", ""));
        for (Row r : copy) {
            t.append(String.format("%-14s %-17s %-48s %-48s %s%n", r.target(), r.source().label, brief(r.expectedDelta()),
                    r.reportedDelta() == null ? r.error() : brief(r.reportedDelta()), r.exact() ? "exact" : "MISMATCH"));
        }
        Verdict v = new Verdict(simulation, problems.isEmpty(), ledger.acceptedEvents(), copy.size(), List.copyOf(problems), t.toString());
        t.append(v.passed() ? "=== EXACT ===" : "=== NOT EXACT: " + String.join("; ", problems) + " ===").append('\n');
        System.out.println(t);
        if (reportFile != null) {
            try {
                Files.createDirectories(reportFile.toAbsolutePath().getParent());
                Files.writeString(reportFile, t.toString());
            } catch (IOException e) {
                System.err.println("cannot write the exactness report " + reportFile + ": " + e);
            }
        }
        Verdicts.record(new Verdict(simulation, v.passed(), v.acceptedEvents(), v.comparisons(), v.problems(), t.toString()));
        return v;
    }

    private static String brief(Totals x) {
        return "i=" + x.impressions() + " c=" + x.clicks() + " s=" + x.conversions() + " rev=" + x.revenue();
    }
}
