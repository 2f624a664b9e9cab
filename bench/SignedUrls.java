import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes N distinct signed impression paths for the demo catalog, one per line, for wrk.
 * Self-contained (JDK only) so it runs as {@code java bench/SignedUrls.java N [banners] [type]}.
 * Banner b belongs to campaign ((b-1) % 10) + 1, whose secret is demo-secret-c (CONTRACT section 3).
 */
public class SignedUrls {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int banners = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String type = args.length > 2 ? args[2] : "i";
        long ts = System.currentTimeMillis();
        Mac[] macs = new Mac[10];
        for (int c = 1; c <= 10; c++) {
            macs[c - 1] = Mac.getInstance("HmacSHA256");
            macs[c - 1].init(new SecretKeySpec(("demo-secret-" + c).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        }
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String run = Long.toString(ts, 36);
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 20)) {
            for (int i = 0; i < n; i++) {
                int b = 1 + i % banners;
                int p = 1 + (i / banners) % 100;
                String nonce = run + "-" + i;
                // contract v2: the signed string is the type's path, '?', then the parameters sorted by name
                String params = "b=" + b + "&n=" + nonce + "&p=" + p + "&ts=" + ts;
                String canonical = "/" + type + "?" + params;
                String sig = b64.encodeToString(macs[(b - 1) % 10].doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
                out.write(canonical + "&sig=" + sig);
                out.newLine();
            }
        }
    }
}
