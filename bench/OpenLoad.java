import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Open-loop beacon load: offers a fixed number of requests a second whatever the answers, unlike
 * wrk (closed loop: a slow server gets fewer requests). Each request is a distinct signed impression
 * of the demo catalog (as bench/SignedUrls.java), sent over a pool of keep-alive connections with
 * HTTP/1.1 pipelining (a connection does not wait for an answer before its next request). JDK only:
 * {@code java bench/OpenLoad.java HOST PORT PHASES [connections] [timeout-s] [max-in-flight]}.
 *
 * <p>PHASES is {@code RATE:SECONDS[,RATE:SECONDS...]}, e.g. {@code 80000:30,40000:20}: the phases run
 * back to back over the same connections. Per phase (by the phase a request was sent in) it prints:
 * offered (requests due at the rate), sent, not sent because the generator's own in-flight cap was
 * reached (its memory stays bounded; they are not offered to the server, so they are reported apart),
 * answers by status (2xx, 503 with Retry-After, 503 without, other), answers later than the timeout
 * (counted in their status too: a real client would have given up), requests never answered (the
 * connection was closed with them outstanding, or no answer within the timeout after the last phase),
 * and latency percentiles of the answers, measured from when the request was due (not when it could
 * be written), so a server that stops reading does not hide its delay (no coordinated omission).
 * Every second it prints a line to stderr: second, phase, sent, 2xx, 503, other, in flight.
 * The last line on stdout is machine-readable ({@code phase=... offered=... ok=...}), one per phase.
 */
public class OpenLoad {

    static final int MAX_PER_CONNECTION = 4096;

    /** Latency histogram: 1 % wide buckets from 1 microsecond to about an hour. */
    static final class Histogram {
        static final double BASE = Math.log(1.01);
        final long[] counts = new long[2300];
        long total;

        void record(long nanos) {
            long us = Math.max(1, nanos / 1000);
            int i = Math.min(counts.length - 1, (int) (Math.log(us) / BASE));
            counts[i]++;
            total++;
        }

        double percentileMillis(double p) {
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(total * p / 100.0);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return Math.exp((i + 1) * BASE) / 1000.0;
                }
            }
            return Double.NaN;
        }
    }

    static final class Stats {
        final int rate;
        final int seconds;
        long sendLagMaxNanos;
        long offered, sent, notSentCap, ok, shedRetryAfter, shedBare, other, late, lost, unanswered;
        final Histogram latency = new Histogram();

        Stats(int rate, int seconds) {
            this.rate = rate;
            this.seconds = seconds;
        }
    }

    /** One keep-alive connection: bytes to write, the due times of its requests in order, the answer being parsed. */
    static final class Conn {
        final SocketChannel ch;
        ByteBuffer out = ByteBuffer.allocate(16 * 1024);
        final long[] due = new long[MAX_PER_CONNECTION];
        final byte[] phase = new byte[MAX_PER_CONNECTION];
        int head, size;
        boolean connected, closed;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        // parse state of the current answer
        int status = -1;
        boolean retryAfter, closeAfter;
        int bodyLeft = -1;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }
    }

    final InetSocketAddress address;
    final Selector selector;
    final List<Conn> conns = new ArrayList<>();
    final Stats[] phases;
    final long timeoutNanos;
    final int maxInFlight;
    final Mac[] macs = new Mac[10];
    final Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    final String run;
    final long ts;
    final byte[] host;
    long inFlight, sequence, reconnects, refusedConnects;
    int next;
    // per-second counters for the progress line
    long secSent, secOk, secShed, secOther;

    OpenLoad(String hostName, int port, Stats[] phases, long timeoutNanos, int maxInFlight) throws Exception {
        this.address = new InetSocketAddress(hostName, port);
        this.selector = Selector.open();
        this.phases = phases;
        this.timeoutNanos = timeoutNanos;
        this.maxInFlight = maxInFlight;
        for (int c = 1; c <= 10; c++) {
            macs[c - 1] = Mac.getInstance("HmacSHA256");
            macs[c - 1].init(new SecretKeySpec(("demo-secret-" + c).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        }
        this.ts = System.currentTimeMillis();
        this.run = "o" + Long.toString(ts, 36);
        this.host = ("Host: " + hostName + ":" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java bench/OpenLoad.java HOST PORT RATE:SECONDS[,RATE:SECONDS...] [connections=1000] [timeout-s=10] [max-in-flight=50000]");
            System.exit(2);
        }
        String[] spec = args[2].split(",");
        Stats[] phases = new Stats[spec.length];
        for (int i = 0; i < spec.length; i++) {
            String[] rs = spec[i].split(":");
            phases[i] = new Stats(Integer.parseInt(rs[0]), Integer.parseInt(rs[1]));
        }
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        long timeout = (args.length > 4 ? Long.parseLong(args[4]) : 10) * 1_000_000_000L;
        int maxInFlight = args.length > 5 ? Integer.parseInt(args[5]) : 50_000;
        OpenLoad load = new OpenLoad(args[0], Integer.parseInt(args[1]), phases, timeout, maxInFlight);
        load.connect(connections);
        load.run();
        load.report();
    }

    void connect(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            open();
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && conns.stream().anyMatch(c -> !c.connected && !c.closed)) {
            selector.select(10);
            handleKeys();
        }
        long up = conns.stream().filter(c -> c.connected).count();
        System.err.printf("%d of %d connections open%n", up, n);
        if (up == 0) {
            throw new IOException("no connection to " + address);
        }
    }

    Conn open() throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Conn c = new Conn(ch);
        if (ch.connect(address)) {
            c.connected = true;
            ch.register(selector, SelectionKey.OP_READ, c);
        } else {
            ch.register(selector, SelectionKey.OP_CONNECT, c);
        }
        conns.add(c);
        return c;
    }

    void run() throws IOException {
        long start = System.nanoTime();
        long phaseStart = start;
        long intervalStart = start;
        int second = 0;
        for (int p = 0; p < phases.length; p++) {
            Stats s = phases[p];
            long end = phaseStart + s.seconds * 1_000_000_000L;
            long due = 0;
            while (true) {
                long now = System.nanoTime();
                long target = Math.min((now - phaseStart) * s.rate / 1_000_000_000L, (long) s.rate * s.seconds);
                while (due < target) {
                    long dueAt = phaseStart + due * 1_000_000_000L / s.rate;
                    s.offered++;
                    due++;
                    s.sendLagMaxNanos = Math.max(s.sendLagMaxNanos, now - dueAt);
                    send(p, dueAt);
                }
                flushAll();
                if (now >= end) {
                    break;
                }
                selector.select(1);
                handleKeys();
                if (now - intervalStart >= 1_000_000_000L) {
                    second++;
                    progress(second, p);
                    intervalStart += 1_000_000_000L;
                }
            }
            phaseStart = end;
        }
        // Wait for the last answers, at most the timeout.
        long deadline = System.nanoTime() + timeoutNanos;
        while (inFlight > 0 && System.nanoTime() < deadline) {
            selector.select(10);
            handleKeys();
            flushAll();
            if (System.nanoTime() - intervalStart >= 1_000_000_000L) {
                second++;
                progress(second, phases.length - 1);
                intervalStart += 1_000_000_000L;
            }
        }
        for (Conn c : conns) {
            while (c.size > 0) {
                phases[c.phase[c.head]].unanswered++;
                c.head = (c.head + 1) % MAX_PER_CONNECTION;
                c.size--;
                inFlight--;
            }
        }
    }

    void progress(int second, int phase) {
        System.err.printf("t=%ds phase=%d sent=%d 2xx=%d 503=%d other=%d in_flight=%d%n",
                second, phase + 1, secSent, secOk, secShed, secOther, inFlight);
        secSent = secOk = secShed = secOther = 0;
    }

    /** Queues one request on the next connection that has room; counts it as not sent when none has. */
    void send(int phase, long dueAt) throws IOException {
        Stats s = phases[phase];
        if (inFlight >= maxInFlight) {
            s.notSentCap++;
            return;
        }
        Conn c = null;
        for (int tries = 0; tries < conns.size(); tries++) {
            Conn candidate = conns.get(next);
            next = (next + 1) % conns.size();
            if (candidate.closed) {
                candidate = reopen(candidate);
            }
            if (candidate.connected && !candidate.closeAfter && candidate.size < MAX_PER_CONNECTION) {
                c = candidate;
                break;
            }
        }
        if (c == null) {
            s.notSentCap++;
            return;
        }
        byte[] request = request(sequence++);
        if (c.out.remaining() < request.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(c.out.capacity() * 2, c.out.position() + request.length));
            c.out.flip();
            bigger.put(c.out);
            c.out = bigger;
        }
        c.out.put(request);
        int tail = (c.head + c.size) % MAX_PER_CONNECTION;
        c.due[tail] = dueAt;
        c.phase[tail] = (byte) phase;
        c.size++;
        inFlight++;
        s.sent++;
        secSent++;
    }

    byte[] request(long i) {
        int banners = 1000;
        long b = 1 + i % banners;
        long p = 1 + (i / banners) % 100;
        String canonical = "/i?b=" + b + "&n=" + run + "-" + i + "&p=" + p + "&ts=" + ts; // contract v2: the path is signed
        String sig = b64.encodeToString(macs[(int) ((b - 1) % 10)].doFinal(canonical.getBytes(StandardCharsets.US_ASCII)));
        byte[] line = ("GET " + canonical + "&sig=" + sig + " HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[line.length + host.length];
        System.arraycopy(line, 0, out, 0, line.length);
        System.arraycopy(host, 0, out, line.length, host.length);
        return out;
    }

    Conn reopen(Conn old) throws IOException {
        int at = conns.indexOf(old);
        conns.remove(at);
        Conn c = open();
        conns.remove(conns.size() - 1);
        conns.add(at, c);
        reconnects++;
        return c;
    }

    void flushAll() throws IOException {
        for (Conn c : conns) {
            if (c.connected && !c.closed && c.out.position() > 0) {
                flush(c);
            }
        }
    }

    void flush(Conn c) {
        c.out.flip();
        try {
            c.ch.write(c.out);
        } catch (IOException e) {
            c.out.compact();
            close(c);
            return;
        }
        c.out.compact();
        SelectionKey key = c.ch.keyFor(selector);
        if (key != null && key.isValid()) {
            key.interestOps(c.out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    void handleKeys() {
        var it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            Conn c = (Conn) key.attachment();
            if (!key.isValid()) {
                continue;
            }
            try {
                if (key.isConnectable()) {
                    if (c.ch.finishConnect()) {
                        c.connected = true;
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    continue;
                }
                if (key.isReadable()) {
                    read(c);
                }
                if (key.isValid() && key.isWritable() && !c.closed) {
                    flush(c);
                }
            } catch (IOException e) {
                if (!c.connected) {
                    refusedConnects++;
                }
                close(c);
            }
        }
    }

    void read(Conn c) throws IOException {
        int n = c.ch.read(c.in);
        if (n < 0) {
            close(c);
            return;
        }
        c.in.flip();
        parse(c);
        c.in.compact();
        if (c.closeAfter && c.size == 0) {
            close(c);
        }
    }

    /** Parses as many whole answers as the buffer holds (status line, headers, Content-Length body). */
    void parse(Conn c) {
        ByteBuffer b = c.in;
        while (true) {
            if (c.bodyLeft < 0) {
                int end = headersEnd(b);
                if (end < 0) {
                    return;
                }
                String head = new String(b.array(), b.position(), end - b.position(), StandardCharsets.ISO_8859_1);
                b.position(end + 4);
                c.status = Integer.parseInt(head.substring(9, 12));
                c.retryAfter = false;
                c.bodyLeft = 0;
                for (String line : head.split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = line.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        c.bodyLeft = Integer.parseInt(value);
                    } else if (name.equals("retry-after")) {
                        c.retryAfter = true;
                    } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
                        c.closeAfter = true;
                    }
                }
            }
            int skip = Math.min(c.bodyLeft, b.remaining());
            b.position(b.position() + skip);
            c.bodyLeft -= skip;
            if (c.bodyLeft > 0) {
                return;
            }
            c.bodyLeft = -1;
            answered(c, c.status, c.retryAfter);
        }
    }

    static int headersEnd(ByteBuffer b) {
        byte[] a = b.array();
        for (int i = b.position(); i + 3 < b.limit(); i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    void answered(Conn c, int status, boolean retryAfter) {
        if (c.size == 0) {
            return; // an answer to nothing we sent: ignore
        }
        Stats s = phases[c.phase[c.head]];
        long latency = System.nanoTime() - c.due[c.head];
        c.head = (c.head + 1) % MAX_PER_CONNECTION;
        c.size--;
        inFlight--;
        s.latency.record(latency);
        if (latency > timeoutNanos) {
            s.late++;
        }
        if (status >= 200 && status < 300) {
            s.ok++;
            secOk++;
        } else if (status == 503) {
            if (retryAfter) {
                s.shedRetryAfter++;
            } else {
                s.shedBare++;
            }
            secShed++;
        } else {
            s.other++;
            secOther++;
        }
    }

    /** The server closed the connection (or it failed): its outstanding requests are lost. */
    void close(Conn c) {
        if (c.closed) {
            return;
        }
        c.closed = true;
        c.connected = false;
        while (c.size > 0) {
            phases[c.phase[c.head]].lost++;
            c.head = (c.head + 1) % MAX_PER_CONNECTION;
            c.size--;
            inFlight--;
        }
        try {
            c.ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    void report() {
        System.out.printf("reconnects=%d failed_connects=%d%n", reconnects, refusedConnects);
        for (int i = 0; i < phases.length; i++) {
            Stats s = phases[i];
            long answered = s.ok + s.shedRetryAfter + s.shedBare + s.other;
            System.out.printf(Locale.ROOT,
                    "phase=%d rate=%d seconds=%d offered=%d sent=%d not_sent_cap=%d answered=%d ok=%d shed_retry_after=%d "
                            + "shed_bare=%d other=%d late=%d lost=%d unanswered=%d ok_per_s=%.0f p50=%.1fms p99=%.1fms p999=%.1fms max=%.1fms generator_lag_max=%.1fms%n",
                    i + 1, s.rate, s.seconds, s.offered, s.sent, s.notSentCap, answered, s.ok, s.shedRetryAfter,
                    s.shedBare, s.other, s.late, s.lost, s.unanswered, (double) s.ok / s.seconds,
                    s.latency.percentileMillis(50), s.latency.percentileMillis(99), s.latency.percentileMillis(99.9),
                    s.latency.percentileMillis(100), s.sendLagMaxNanos / 1e6);
        }
    }
}
