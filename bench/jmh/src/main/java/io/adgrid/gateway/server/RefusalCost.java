package io.adgrid.gateway.server;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * {@link RefusalBenchmark}'s paths timed interleaved, for a busy box: JMH runs one benchmark after
 * the other, so load that comes and goes on the box lands on some of them only; here every round
 * times each path for the same number of reads, one after the other in a rotating order, and the
 * ratios are taken per round, then their median. Same pipelines, requests and sink as the benchmark.
 *
 * <pre>java -cp bench/jmh/target/benchmarks.jar io.adgrid.gateway.server.RefusalCost [pipelined=1] [rounds=60] [reads=5000]</pre>
 */
public final class RefusalCost {

    private RefusalCost() {
    }

    public static void main(String[] args) {
        int pipelined = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int reads = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        int warmup = Math.max(5, rounds / 3);
        RefusalBenchmark b = new RefusalBenchmark();
        b.pipelined = pipelined;
        b.setUp();
        String[] names = {"served (baseline)", "servedHandler", "refusedRaw", "refusedHandler", "harness"};
        IntSupplier[] paths = {b::baseline, b::servedHandler, b::refusedRaw, b::refusedHandler, b::harness};
        double[][] nsPerRequest = new double[paths.length][rounds];
        long sink = 0;
        for (int round = -warmup; round < rounds; round++) {
            for (int k = 0; k < paths.length; k++) {
                int p = Math.floorMod(k + round, paths.length); // rotate who goes first
                long start = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    sink += paths[p].getAsInt();
                }
                long took = System.nanoTime() - start;
                if (round >= 0) {
                    nsPerRequest[p][round] = took / (double) reads / pipelined;
                }
            }
        }
        b.tearDown();
        System.out.printf(Locale.ROOT, "pipelined=%d, %d rounds of %d reads per path (after %d rounds of warm-up); bytes out %d%n",
                pipelined, rounds, reads, warmup, sink);
        System.out.printf(Locale.ROOT, "%-20s %14s %14s %22s%n", "path", "median ns/req", "p10-p90", "median of ratio to served");
        for (int p = 0; p < paths.length; p++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = nsPerRequest[p][r] / nsPerRequest[0][r];
            }
            System.out.printf(Locale.ROOT, "%-20s %14.0f %6.0f-%-7.0f %22.3f%n", names[p], median(nsPerRequest[p]),
                    quantile(nsPerRequest[p], 0.1), quantile(nsPerRequest[p], 0.9), median(ratio));
        }
        // The refusal paths net of the embedded channel's own cost, which a socket does not have.
        double[] raw = new double[rounds];
        double[] handler = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double served = nsPerRequest[0][r] - nsPerRequest[4][r];
            raw[r] = (nsPerRequest[2][r] - nsPerRequest[4][r]) / served;
            handler[r] = (nsPerRequest[3][r] - nsPerRequest[4][r]) / served;
        }
        System.out.printf(Locale.ROOT, "net of the harness: refusedRaw %.3f, refusedHandler %.3f of a served request (medians of per-round ratios)%n",
                median(raw), median(handler));
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }
}
