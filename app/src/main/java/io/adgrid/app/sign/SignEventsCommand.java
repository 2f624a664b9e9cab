package io.adgrid.app.sign;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;

/**
 * {@code ./adgrid sign events --kid SENDER_KEY FILE}: prints the {@code X-AdGrid-Signature} header
 * (issue 23) that signs FILE's exact bytes as the body of one {@code POST /events}, and nothing else,
 * on stdout. The sender key's secret is read from the catalog as {@link SignCommand} reads a
 * campaign's; a disabled or unknown key is refused here rather than by the gateway.
 */
final class SignEventsCommand {

    static final String USAGE = """
            usage: ./adgrid sign events --kid SENDER_KEY [--ts MILLIS] FILE|-
              prints the X-AdGrid-Signature header of one POST /events whose body is FILE's exact bytes (- : standard input):
              curl -H "$(./adgrid sign events --kid ad-server-1 batch.ndjson)" -H 'Content-Type: application/x-ndjson' \\
                --data-binary @batch.ndjson http://localhost:8080/events
              --ts     the request's ts (milliseconds since the epoch); default: now
              the sender key's secret is read from $ADGRID_DB_URL (with ADGRID_DB_USER, ADGRID_DB_PASSWORD), else from the local ./var database""";

    /** Far over any body a gateway takes (ADGRID_GATEWAY_MAXBODYSIZE, 4 MB by default): a file larger is a mistake. */
    private static final long MAX_BODY_BYTES = 64L << 20;

    private SignEventsCommand() {
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        String kid = null;
        Long ts = null;
        String file = null;
        Map<String, String> settings = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String option = a.startsWith("--") && a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) : a;
            if (option.equals("--kid") || option.equals("--ts")) {
                String value;
                if (!option.equals(a)) {
                    value = a.substring(option.length() + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    err.println(a + " needs a value\n" + USAGE);
                    return 2;
                }
                if (option.equals("--kid")) {
                    kid = value;
                } else {
                    try {
                        ts = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        err.println("--ts must be milliseconds since the epoch, got '" + value + "'");
                        return 2;
                    }
                }
            } else if (option.startsWith("--adgrid.") && !option.equals(a)) {
                settings.put(option.substring(2), a.substring(option.length() + 1));
            } else if (a.startsWith("-") && !a.equals("-")) {
                err.println("unknown option '" + a + "'\n" + USAGE);
                return 2;
            } else if (file != null) {
                err.println("one body file only (got '" + file + "' and '" + a + "')\n" + USAGE);
                return 2;
            } else {
                file = a;
            }
        }
        if (kid == null || file == null) {
            err.println((kid == null ? "--kid (the sender key) is required" : "the body file is required") + "\n" + USAGE);
            return 2;
        }
        if (kid.length() > RequestSignature.MAX_KID_LENGTH || !kid.matches("[A-Za-z0-9._:-]+")) {
            err.println("--kid must be 1 to " + RequestSignature.MAX_KID_LENGTH + " of A-Z a-z 0-9 . _ : -, got '" + kid + "'");
            return 2;
        }
        byte[] body;
        try {
            if (!file.equals("-") && Files.size(Path.of(file)) > MAX_BODY_BYTES) {
                err.println(file + " is over " + (MAX_BODY_BYTES >> 20) + " MB: a gateway refuses a body that large");
                return 2;
            }
            body = file.equals("-") ? System.in.readNBytes((int) MAX_BODY_BYTES + 1) : Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            err.println("no such file: " + file);
            return 2;
        } catch (IOException e) {
            err.println("cannot read " + file + ": " + e.getMessage());
            return 2;
        }
        if (body.length > MAX_BODY_BYTES) {
            err.println("the standard input is over " + (MAX_BODY_BYTES >> 20) + " MB: a gateway refuses a body that large");
            return 2;
        }
        SenderSecret secret;
        try {
            String wanted = kid;
            secret = SignCommand.fromCatalog(env, settings, err, db -> query(db, wanted));
        } catch (IllegalStateException | SQLException e) {
            err.println("cannot read the catalog: " + e.getMessage());
            return 1;
        }
        if (secret == null) {
            err.println("no sender key kid=" + kid + " (create one: POST /api/v1/admin/sender-keys)");
            return 1;
        }
        if (secret.disabled()) {
            err.println("sender key kid=" + kid + " is disabled: the gateway refuses requests signed with it");
            return 1;
        }
        long at = ts != null ? ts : System.currentTimeMillis();
        out.println(RequestSignature.HEADER + ": " + RequestSignature.header(BeaconSigner.key(secret.value().getBytes(StandardCharsets.UTF_8)),
                "POST", "/events", kid, at, body));
        return 0;
    }

    /** A sender key's current secret; never printed. */
    private record SenderSecret(String value, boolean disabled) {
        @Override
        public String toString() {
            return "SenderSecret[disabled=" + disabled + "]";
        }
    }

    private static SenderSecret query(io.adgrid.persister.schema.DatabaseSettings db, String kid) throws SQLException {
        try (Connection c = SignCommand.dataSource(db).getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT secret, disabled_at IS NOT NULL FROM sender_key WHERE kid = ?")) {
            ps.setString(1, kid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new SenderSecret(rs.getString(1), rs.getBoolean(2)) : null;
            }
        }
    }
}
