package io.adgrid.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.adgrid.grid.hazelcast.BatchEncodingBenchmark;
import io.adgrid.grid.counters.DedupBenchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * JMH's own command line (same options), followed by two tables JMH does not print: each
 * benchmark's score against the {@code baseline} method of its class from the same run, and the
 * sizes the benchmarks are about (bytes per remembered identity, bytes per encoded event).
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results;
        try {
            results = new Runner(options).run();
        } catch (NoBenchmarksException e) {
            System.err.println("No benchmarks to run; check the include regexp (BenchMain -l lists them).");
            System.exit(1);
            return;
        } catch (RunnerException e) {
            System.err.println("ERROR: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
            return;
        }
        System.out.println();
        System.out.print(ratios(results));
        System.out.println();
        System.out.print(sizes());
    }

    /** Score / baseline score per class and parameter set: how many baselines one call costs. */
    static String ratios(Collection<RunResult> results) {
        Map<String, List<RunResult>> groups = new LinkedHashMap<>();
        for (RunResult r : results) {
            groups.computeIfAbsent(className(r) + paramsOf(r), k -> new ArrayList<>()).add(r);
        }
        StringBuilder out = new StringBuilder("Against the baseline of each class, same run (score / baseline score):\n");
        out.append(String.format(Locale.ROOT, "%-48s %14s %-8s %12s%n", "Benchmark", "Score", "Units", "x baseline"));
        for (List<RunResult> group : groups.values()) {
            RunResult baseline = group.stream().filter(r -> methodName(r).equals("baseline")).findFirst().orElse(null);
            for (RunResult r : group) {
                String ratio = baseline == null ? "(no baseline run)"
                        : String.format(Locale.ROOT, "%.2f", r.getPrimaryResult().getScore() / baseline.getPrimaryResult().getScore());
                out.append(String.format(Locale.ROOT, "%-48s %14.3f %-8s %12s%n", shortName(r) + paramsOf(r),
                        r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreUnit(), ratio));
            }
        }
        return out.toString();
    }

    static String sizes() {
        StringBuilder out = new StringBuilder("Sizes (counted, not timed):\n");
        for (int n : new int[] {1_000, 3_000, 10_000, 100_000, 1_000_000}) {
            out.append(String.format(Locale.ROOT, "  IdentitySet, %,9d identities: %5.1f bytes an identity (IdentitySet.bytes())%n",
                    n, DedupBenchmark.bytesPerIdentity(n)));
        }
        out.append(String.format(Locale.ROOT, "  ApplyBatch of %,d impressions: %5.1f bytes an event serialized (an event's own fields: 49; each routing key adds 12)%n",
                BenchEvents.BATCH, BatchEncodingBenchmark.bytesPerEvent(BenchEvents.BATCH)));
        return out.toString();
    }

    private static String className(RunResult r) {
        String name = r.getParams().getBenchmark();
        return name.substring(0, name.lastIndexOf('.'));
    }

    private static String methodName(RunResult r) {
        String name = r.getParams().getBenchmark();
        return name.substring(name.lastIndexOf('.') + 1);
    }

    private static String shortName(RunResult r) {
        String cls = className(r);
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + methodName(r);
    }

    private static String paramsOf(RunResult r) {
        Collection<String> keys = r.getParams().getParamsKeys();
        if (keys.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append(sb.length() == 0 ? " (" : ", ").append(k).append('=').append(r.getParams().getParam(k));
        }
        return sb.append(')').toString();
    }
}
