package io.adgrid.gateway.server;

import java.util.ArrayDeque;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ByteProcessor;

/**
 * Cheap refusals (issue 23): the {@link OverloadGuard} decides on a request from its raw bytes, in
 * front of the HTTP codec, and one it refuses is answered with the pre-encoded {@code 503} +
 * {@code Retry-After: 1} ({@link BeaconService#overloadedBytes}), without being decoded,
 * aggregated or handled; counted as {@code rejected}/{@code overloaded} as before.
 *
 * <p>Per connection, {@link #front} sits before the codec; {@link BeaconHttpHandler} takes its
 * decisions, says when it answers and when a request came undecodable (the codec has the connection
 * from then on). The front frames requests itself, and only requests it is sure the
 * codec frames the same way: a request line {@code METHOD SP URI SP HTTP/1.x} and header lines of
 * plain ASCII ending in CRLF, within the codec's size limits, no {@code Transfer-Encoding}, no
 * {@code Expect}, at most one {@code Content-Length} of digits. Anything else (a chunked body, bare
 * LF, a byte over 0x7f, garbage, an oversized head) and the connection is passed through unchanged
 * for good (today's path: the codec, then the guard in {@link BeaconHttpHandler}). So the codec is
 * between requests whenever the front is, and a request refused here leaves it in step.
 *
 * <ul>
 *   <li>A whole request (head and declared body in hand) is put to the guard here; {@code /healthz}
 *       never is. Refused and plain ({@code GET}/{@code POST}, HTTP/1.1, keep-alive): the raw 503,
 *       its bytes skipped (consecutive ones of a read go out as one buffer). Otherwise it goes to the codec whole, with the guard's decision, which
 *       {@link BeaconHttpHandler} takes ({@link #takeDecision}) instead of asking the guard again.</li>
 *   <li>A head whose body has not all come: passed on undecided, and its body after it as it comes.</li>
 *   <li>A head not whole yet: held here (at most the codec's own limits, over at most
 *       {@link #MAX_PARTIAL_READS} reads), and the request deadline runs on it
 *       ({@link RequestDeadline#requestStarted}).</li>
 *   <li>Answers stay in request order: while a request passed on is unanswered, a raw 503 waits
 *       behind its answer, written right after it ({@link #answered}). Past
 *       {@link BeaconHttpHandler#MAX_UNANSWERED} waiting, refusals take the handler's path (which
 *       stops reading the socket).</li>
 * </ul>
 * Event loop only.
 */
final class RawRefusals {

    /** No decision made here: the handler asks the guard itself. */
    static final long UNDECIDED = Long.MIN_VALUE + 1;
    /** The guard refused it here: answer 503 overloaded. */
    static final long REFUSED = Long.MIN_VALUE + 2;
    /** Handled without being admitted ({@code /healthz}). */
    static final long UNADMITTED = Long.MIN_VALUE + 3;

    private static final int INCOMPLETE = -1;
    private static final int ODD = -2;
    private static final int MAX_METHOD = 16;
    private static final int MAX_CONTENT_LENGTH_DIGITS = 9;
    /**
     * Reads a head may take before the codec gets it: each read parses the held head again from its
     * start, so a head trickling in a byte at a time must not cost the square of its length here (the
     * codec parses incrementally). A client splits a head over one or two reads.
     */
    static final int MAX_PARTIAL_READS = 4;
    private static final Route[] ROUTES = Route.values();

    private final OverloadGuard guard;
    private final BeaconService service;
    private final RequestDeadline deadline;
    private final int maxRequestLine;
    private final int maxHeaderBytes;
    private ChannelHandlerContext frontCtx;
    /** Passing everything to the codec unchanged from now on. */
    private boolean passThrough;
    /** The start of a request whose head has not all come. */
    private ByteBuf held;
    /** Reads that ended in the middle of the current head. */
    private int partialReads;
    /** Body bytes still to pass on to the codec for the request passed on undecided. */
    private long bodyLeft;
    /** The guard's decision for the request being passed on whole, until the handler takes it. */
    private long decision = UNDECIDED;
    /** Requests passed on and not answered yet, oldest first, each with the raw 503s that follow its answer. */
    private final ArrayDeque<PassedOn> unanswered = new ArrayDeque<>();
    /** Raw 503s waiting behind answers. */
    private int waiting;
    /** Raw 503s of this read not written yet: consecutive ones go out as one buffer. */
    private int refusedNow;
    /** When the current read came (one clock read a read), or UNDECIDED before it is needed. */
    private long readNanos;

    /** What the last parsed head says. */
    private Route route;
    private long contentLength;
    private boolean plain;

    private static final class PassedOn {
        int refusalsAfter;
    }

    RawRefusals(OverloadGuard guard, BeaconService service, RequestDeadline deadline, GatewayServer.Limits limits) {
        this.guard = guard;
        this.service = service;
        this.deadline = deadline;
        // The codec's limits (GatewayServer.handlers); a head over them is the codec's to refuse.
        this.maxRequestLine = limits.maxUrlLength() + GatewayServer.REQUEST_LINE_EXTRA;
        this.maxHeaderBytes = limits.maxHeaderBytes();
    }

    /** For {@link BeaconHttpHandler}, once per request: the decision made here, or {@link #UNDECIDED}. */
    long takeDecision() {
        long d = decision;
        decision = UNDECIDED;
        return d;
    }

    ChannelInboundHandlerAdapter front() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                frontCtx = ctx;
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                release();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                release();
                super.channelInactive(ctx);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof ByteBuf in) || passThrough && held == null) {
                    ctx.fireChannelRead(msg);
                    return;
                }
                read(ctx, in);
            }
        };
    }

    /**
     * {@link BeaconHttpHandler} got a request the codec or the aggregator could not take as it is:
     * the codec may have found what the framing here did not, so it has the connection from now on.
     */
    void undecodable() {
        passThrough = true;
    }

    private void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    private void read(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf buf = in;
        if (held != null) {
            buf = held.writeBytes(in);
            in.release();
            held = null;
        }
        readNanos = UNDECIDED;
        boolean refused = false;
        try {
            while (buf.isReadable()) {
                if (passThrough) {
                    writeRefusals(ctx, refusedNow);
                    refusedNow = 0;
                    pass(ctx, buf, buf.readableBytes());
                    break;
                }
                if (bodyLeft > 0) {
                    int n = (int) Math.min(bodyLeft, buf.readableBytes());
                    bodyLeft -= n;
                    pass(ctx, buf, n);
                    continue;
                }
                int head = head(buf, buf.readerIndex(), buf.writerIndex());
                if (head == ODD) {
                    passThrough = true;
                    continue;
                }
                if (head == INCOMPLETE) {
                    if (++partialReads > MAX_PARTIAL_READS) {
                        passThrough = true;
                        continue;
                    }
                    held = ctx.alloc().buffer(Math.max(256, buf.readableBytes() * 2)).writeBytes(buf);
                    break;
                }
                partialReads = 0;
                long whole = head + contentLength;
                if (whole > buf.readableBytes()) {
                    // A body still coming: the handler decides once the codec has it all.
                    bodyLeft = whole - buf.readableBytes();
                    writeRefusals(ctx, refusedNow);
                    refusedNow = 0;
                    unanswered.add(new PassedOn());
                    pass(ctx, buf, buf.readableBytes());
                    break;
                }
                refused |= take(ctx, buf, (int) whole);
            }
        } finally {
            buf.release();
            writeRefusals(ctx, refusedNow);
            refusedNow = 0;
        }
        if (refused) {
            ctx.flush();
        }
        if (!passThrough && bodyLeft == 0) {
            if (held != null) {
                deadline.requestStarted();
            } else {
                deadline.betweenRequests();
            }
        }
    }

    /** A whole request of {@code length} bytes at the reader index: true if it was refused here. */
    private boolean take(ChannelHandlerContext ctx, ByteBuf buf, int length) {
        if (readNanos == UNDECIDED) {
            readNanos = guard.nanoTime();
        }
        long d = route == Route.HEALTH ? UNADMITTED : guard.admit(readNanos) ? readNanos : REFUSED;
        if (d == REFUSED && plain && waiting < BeaconHttpHandler.MAX_UNANSWERED) {
            buf.skipBytes(length);
            service.countOverloaded(route);
            PassedOn before = unanswered.peekLast();
            if (before == null) {
                refusedNow++;
            } else {
                before.refusalsAfter++; // behind an answer still to come
                waiting++;
            }
            return true;
        }
        writeRefusals(ctx, refusedNow); // the answers before it go first
        refusedNow = 0;
        unanswered.add(new PassedOn());
        decision = d;
        pass(ctx, buf, length);
        if (decision != UNDECIDED) {
            // The codec did not hand it on whole: the framing here is out of step, so give it up.
            decision = UNDECIDED;
            if (d != REFUSED && d != UNADMITTED) {
                guard.answeredBatch(); // frees its place without a delay signal; the handler asks again when it comes
            }
            passThrough = true;
        }
        return false;
    }

    private static void pass(ChannelHandlerContext ctx, ByteBuf buf, int length) {
        ctx.fireChannelRead(buf.readRetainedSlice(length));
    }

    /**
     * {@link BeaconHttpHandler} wrote the answer to the oldest request passed on (not flushed yet):
     * the raw 503s waiting behind it follow it.
     */
    void answered() {
        PassedOn done = unanswered.poll();
        if (done == null) {
            return; // a request passed through unframed
        }
        writeRefusals(frontCtx, done.refusalsAfter);
        waiting -= done.refusalsAfter;
    }

    /** Writes {@code n} raw 503s, as few buffers as it takes. */
    private static void writeRefusals(ChannelHandlerContext ctx, int n) {
        for (int left = n; left > 0; left -= BeaconService.OVERLOADED_BURST) {
            ctx.write(BeaconService.overloadedBytes(Math.min(left, BeaconService.OVERLOADED_BURST)));
        }
    }

    /**
     * Parses the head at {@code start}: its length (request line, headers, empty line), with
     * {@link #route}, {@link #contentLength} and {@link #plain} set; {@link #INCOMPLETE} when it has
     * not all come; {@link #ODD} when it is not one the codec surely frames the same way.
     */
    private int head(ByteBuf buf, int start, int end) {
        int i = start;
        // Method: upper-case letters, then one space.
        int methodEnd = -1;
        for (; i < end && i - start <= MAX_METHOD; i++) {
            byte b = buf.getByte(i);
            if (b == ' ') {
                methodEnd = i;
                break;
            }
            if (b < 'A' || b > 'Z') {
                return ODD;
            }
        }
        if (methodEnd < 0) {
            return i == end && i - start <= MAX_METHOD ? INCOMPLETE : ODD;
        }
        if (methodEnd == start) {
            return ODD;
        }
        boolean getOrPost = methodEnd - start == 3 && buf.getByte(start) == 'G' && buf.getByte(start + 1) == 'E' && buf.getByte(start + 2) == 'T'
                || methodEnd - start == 4 && buf.getByte(start) == 'P' && buf.getByte(start + 1) == 'O' && buf.getByte(start + 2) == 'S'
                && buf.getByte(start + 3) == 'T';
        // URI: visible ASCII, then one space.
        int uriStart = ++i;
        int lineLimit = start + maxRequestLine;
        i = scanVisible(buf, uriStart, Math.min(end, lineLimit));
        if (i < 0) {
            return end <= lineLimit ? INCOMPLETE : ODD;
        }
        if (buf.getByte(i) != ' ' || i == uriStart) {
            return ODD;
        }
        route = route(buf, uriStart, i);
        // Version: HTTP/1.1 or HTTP/1.0, CRLF.
        for (int k = 0; k < VERSION.length; k++, i++) {
            if (i == end) {
                return INCOMPLETE;
            }
            byte b = buf.getByte(i);
            if (b != VERSION[k] && !(k == VERSION_MINOR && b == '0')) {
                return ODD;
            }
        }
        if (i > lineLimit) {
            return ODD;
        }
        boolean http11 = buf.getByte(i - 3) == '1';
        // Headers: name ':' value CRLF, ASCII, until an empty line, within the codec's header limit.
        int headersStart = i;
        int headerLimit = headersStart + maxHeaderBytes;
        contentLength = 0;
        boolean lengthSeen = false;
        boolean keepAlive = true;
        while (true) {
            if (i >= headerLimit) {
                return ODD;
            }
            if (i == end) {
                return INCOMPLETE;
            }
            byte first = buf.getByte(i);
            if (first == '\r') {
                if (i + 1 == end) {
                    return INCOMPLETE;
                }
                if (buf.getByte(i + 1) != '\n') {
                    return ODD;
                }
                i += 2;
                break;
            }
            int nameStart = i;
            int nameEnd = scan(buf, nameStart, Math.min(end, headerLimit), TOKEN);
            if (nameEnd < 0) {
                return end <= headerLimit ? INCOMPLETE : ODD;
            }
            if (buf.getByte(nameEnd) != ':' || nameEnd == nameStart) {
                return ODD;
            }
            int valueStart = nameEnd + 1;
            i = scan(buf, valueStart, Math.min(end, headerLimit), FIELD);
            if (i < 0) {
                return end <= headerLimit ? INCOMPLETE : ODD;
            }
            if (buf.getByte(i) != '\r') {
                return ODD;
            }
            if (i + 1 >= end) {
                return INCOMPLETE;
            }
            if (buf.getByte(i + 1) != '\n') {
                return ODD;
            }
            int valueEnd = i;
            i += 2;
            int nameLength = nameEnd - nameStart;
            if (named(buf, nameStart, nameLength, TRANSFER_ENCODING) || named(buf, nameStart, nameLength, EXPECT)) {
                return ODD;
            }
            if (named(buf, nameStart, nameLength, CONTENT_LENGTH)) {
                if (lengthSeen) {
                    return ODD;
                }
                lengthSeen = true;
                contentLength = digits(buf, valueStart, valueEnd);
                if (contentLength < 0) {
                    return ODD;
                }
            } else if (named(buf, nameStart, nameLength, CONNECTION)) {
                keepAlive &= valueIs(buf, valueStart, valueEnd, KEEP_ALIVE);
            }
        }
        plain = getOrPost && http11 && keepAlive;
        return i - start;
    }

    private static final byte[] VERSION = {' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};
    /** The index of the version's minor digit in {@link #VERSION}: 1 or 0. */
    private static final int VERSION_MINOR = 8;
    private static final byte[] TRANSFER_ENCODING = bytes("transfer-encoding");
    private static final byte[] EXPECT = bytes("expect");
    private static final byte[] CONTENT_LENGTH = bytes("content-length");
    private static final byte[] CONNECTION = bytes("connection");
    private static final byte[] KEEP_ALIVE = bytes("keep-alive");

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** RFC 9110 tchar, by byte value (0 to 127). */
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            TCHAR[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }

    private static final ByteProcessor VISIBLE = b -> b >= 0x21 && b <= 0x7e;
    private static final ByteProcessor TOKEN = b -> b >= 0 && TCHAR[b];
    /** A field value's bytes: visible ASCII, space and tab. */
    private static final ByteProcessor FIELD = b -> b >= 0x20 && b <= 0x7e || b == '\t';

    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * As {@code scan(buf, from, to, VISIBLE)}, eight bytes at a time while none of them is below 0x21
     * or above 0x7e (the URI is most of a beacon's bytes).
     */
    private static int scanVisible(ByteBuf buf, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long x = buf.getLong(i);
            if ((((x - 0x21 * ONES) & ~x | (x + ONES) | x) & HIGHS) != 0) {
                break; // a byte under 0x21 (the space ends the URI), or over 0x7e: find it one by one
            }
        }
        return scan(buf, i, to, VISIBLE);
    }

    /** The index of the first byte from {@code from} to {@code to} that {@code kind} does not take, or -1. */
    private static int scan(ByteBuf buf, int from, int to, ByteProcessor kind) {
        return from >= to ? -1 : buf.forEachByte(from, to - from, kind);
    }

    /** The name at {@code start} is {@code lower}, in any case. */
    private static boolean named(ByteBuf buf, int start, int length, byte[] lower) {
        if (length != lower.length) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if ((buf.getByte(start + k) | 0x20) != lower[k]) {
                return false;
            }
        }
        return true;
    }

    /** The value, without spaces and tabs around it, is {@code lower} in any case. */
    private static boolean valueIs(ByteBuf buf, int start, int end, byte[] lower) {
        while (start < end && (buf.getByte(start) == ' ' || buf.getByte(start) == '\t')) {
            start++;
        }
        while (end > start && (buf.getByte(end - 1) == ' ' || buf.getByte(end - 1) == '\t')) {
            end--;
        }
        return named(buf, start, end - start, lower);
    }

    /** Decimal digits, spaces and tabs around them allowed: the value, or -1. */
    private static long digits(ByteBuf buf, int start, int end) {
        while (start < end && (buf.getByte(start) == ' ' || buf.getByte(start) == '\t')) {
            start++;
        }
        while (end > start && (buf.getByte(end - 1) == ' ' || buf.getByte(end - 1) == '\t')) {
            end--;
        }
        if (end == start || end - start > MAX_CONTENT_LENGTH_DIGITS) {
            return -1;
        }
        long v = 0;
        for (int k = start; k < end; k++) {
            byte b = buf.getByte(k);
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    /** As {@link Route#of}, on the URI's bytes. */
    private static Route route(ByteBuf buf, int start, int end) {
        for (Route r : ROUTES) {
            String path = r.path();
            if (path == null || end - start < path.length()) {
                continue;
            }
            int k = 0;
            while (k < path.length() && buf.getByte(start + k) == path.charAt(k)) {
                k++;
            }
            if (k == path.length() && (start + k == end || buf.getByte(start + k) == '?')) {
                return r;
            }
        }
        return Route.UNKNOWN;
    }
}
