import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Synthetic counter rows for bench/report-size.sh (issue 22, "A year of data"), as CSV on stdout for
 * {@code COPY counter_minute (minute, campaign_id, banner_id, publisher_id, impressions, clicks, conversions,
 * revenue_micros) FROM STDIN (FORMAT csv)} or the same columns of counter_hour (hour first). JDK only:
 * <pre>
 *   java bench/ReportFill.java --table minute|hour --from 2025-01-01T00:00:00Z --slots 10080 --rows 2100000
 *        [--banners 100000] [--publishers 1000] [--seed 22] | psql ... -c "COPY ... FROM STDIN (FORMAT csv)"
 * </pre>
 * {@code --slots} minutes (or hours) from {@code --from}, in time order, share {@code --rows} draws as the
 * old INSERT ... SELECT did with {@code n % slots}: each slot gets rows / slots, the first rows % slots one more.
 * A draw is a banner log-uniform over [1, banners) (floor(exp(u ln N)), so id k has probability about
 * 1/(k ln N)), a publisher likewise, campaign (banner - 1) % 1000 + 1, and the counts of the old SQL:
 * minutes 1 + rint(40u) impressions, a click with p 0.3, a conversion with p 0.02, 12.5 units of revenue
 * with p 0.02 (drawn apart from the conversion, as the SQL did); hours 1 + rint(400u), 3 clicks with p 0.9,
 * a conversion with p 0.1, revenue with p 0.1. suspect_clicks is left to its default 0.
 * COPY has no ON CONFLICT: a (banner, publisher) pair drawn twice in one slot is written once (the
 * primary key is (time, banner, publisher)), so fewer rows come out than were drawn; stderr says how many.
 * Within a slot the rows keep the order they were drawn in, like the old fill and the persister's batches:
 * sorted by key, a day partition came out 5% smaller and filled no faster, so the bytes a row that
 * report-size.sh prints would no longer be those of live writes. Same seed, same rows (ids and counts
 * come from one SplittableRandom). About 7 M rows/s on one core of the 2-core bench box: PostgreSQL is the limit.
 */
public class ReportFill {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'+00'").withZone(ZoneOffset.UTC);
    private static final byte[] REVENUE = ",12500000\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_REVENUE = ",0\n".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = options(args);
        boolean hours = switch (opt.getOrDefault("table", "")) {
            case "minute" -> false;
            case "hour" -> true;
            default -> throw new IllegalArgumentException("--table minute|hour is required");
        };
        Instant from = Instant.parse(required(opt, "from"));
        long slots = Long.parseLong(required(opt, "slots"));
        long rows = Long.parseLong(required(opt, "rows"));
        long banners = Long.parseLong(opt.getOrDefault("banners", "100000"));
        long publishers = Long.parseLong(opt.getOrDefault("publishers", "1000"));
        long seed = Long.parseLong(opt.getOrDefault("seed", "22"));
        if (slots <= 0 || rows < 0 || banners < 2 || publishers < 2 || banners > Integer.MAX_VALUE || publishers > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("need slots > 0, rows >= 0, 2 <= banners, publishers < 2^31");
        }
        ChronoUnit unit = hours ? ChronoUnit.HOURS : ChronoUnit.MINUTES;
        String table = hours ? "counter_hour" : "counter_minute";

        double lnBanners = Math.log(banners), lnPublishers = Math.log(publishers);
        int maxPerSlot = (int) Math.min(Integer.MAX_VALUE - 8, rows / slots + 1);
        long[] keys = new long[maxPerSlot];
        LongSet seen = new LongSet(maxPerSlot);
        SplittableRandom random = new SplittableRandom(seed);
        Out out = new Out(new FileOutputStream(FileDescriptor.out));
        long written = 0;
        long t0 = System.nanoTime();
        for (long s = 0; s < slots; s++) {
            Instant t = from.plus(s, unit);
            byte[] time = (TIME.format(t) + ",").getBytes(StandardCharsets.US_ASCII);
            int draws = (int) (rows / slots + (s < rows % slots ? 1 : 0));
            // The pair as one long (banner high, publisher low): ids are below 2^31.
            int n = 0;
            for (int i = 0; i < draws; i++) {
                long b = (long) Math.exp(random.nextDouble() * lnBanners);
                long p = (long) Math.exp(random.nextDouble() * lnPublishers);
                if (seen.add(b << 32 | p)) {
                    keys[n++] = b << 32 | p;
                }
            }
            seen.clear(keys, n);
            for (int i = 0; i < n; i++) {
                long b = keys[i] >>> 32, p = keys[i] & 0xffffffffL;
                out.bytes(time);
                out.number((b - 1) % 1000 + 1).comma().number(b).comma().number(p).comma();
                boolean revenue;
                if (hours) {
                    out.number(1 + (long) Math.rint(random.nextDouble() * 400)).comma()
                            .number(random.nextDouble() < 0.9 ? 3 : 0).comma()
                            .number(random.nextDouble() < 0.1 ? 1 : 0);
                    revenue = random.nextDouble() < 0.1;
                } else {
                    out.number(1 + (long) Math.rint(random.nextDouble() * 40)).comma()
                            .number(random.nextDouble() < 0.3 ? 1 : 0).comma()
                            .number(random.nextDouble() < 0.02 ? 1 : 0);
                    revenue = random.nextDouble() < 0.02;
                }
                out.bytes(revenue ? REVENUE : NO_REVENUE);
            }
            written += n;
        }
        out.flush();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.err.printf("ReportFill %s: %d rows of %d drawn (%d drew a pair already in their %s), %d %ss, %.1f s, %.0f rows/s%n",
                table, written, rows, rows - written, hours ? "hour" : "minute", slots, hours ? "hour" : "minute",
                secs, written / Math.max(secs, 1e-9));
    }

    /** Open-addressing set of non-zero longs, emptied after each slot by the keys it took (no boxing, no full sweep). */
    static final class LongSet {
        private final long[] table;
        private final int mask;

        LongSet(int expected) {
            int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;   // at most half full
            table = new long[capacity];
            mask = capacity - 1;
        }

        boolean add(long key) {
            int i = slot(key);
            while (table[i] != 0) {
                if (table[i] == key) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            table[i] = key;
            return true;
        }

        void clear(long[] keys, int n) {
            for (int k = 0; k < n; k++) {
                int i = slot(keys[k]);
                while (table[i] != keys[k]) {
                    i = (i + 1) & mask;
                }
                table[i] = 0;
            }
        }

        private int slot(long key) {
            return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
        }
    }

    /** A byte buffer in front of stdout: digits written by hand, no String per row. */
    static final class Out {
        private final OutputStream os;
        private final byte[] buf = new byte[1 << 20];
        private int pos;

        Out(OutputStream os) {
            this.os = os;
        }

        void bytes(byte[] b) throws IOException {
            if (pos + b.length > buf.length) {
                flush();
            }
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        void ascii(String s) throws IOException {
            bytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        Out comma() throws IOException {
            if (pos == buf.length) {
                flush();
            }
            buf[pos++] = ',';
            return this;
        }

        Out number(long v) throws IOException {   // v >= 0
            if (pos + 20 > buf.length) {
                flush();
            }
            int digits = 1;
            for (long x = v; x >= 10; x /= 10) {
                digits++;
            }
            for (int i = pos + digits - 1; i >= pos; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            pos += digits;
            return this;
        }

        void flush() throws IOException {
            os.write(buf, 0, pos);
            pos = 0;
        }
    }

    static String required(Map<String, String> opt, String name) {
        String v = opt.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("options are --name value; got " + args[i]);
            }
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            m.put(args[i].substring(2), flag ? "1" : args[++i]);
        }
        return m;
    }
}
