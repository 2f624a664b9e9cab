package io.adgrid.gateway.catalog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.catalog.SenderKey;

/**
 * The sender keys of the last catalog refresh, kept in the catalog directory beside the maps (file
 * {@code sender-keys.tsv}, private like the campaign map, which holds signing secrets too), so that a
 * gateway restarted without its database still verifies request-signed bodies, as it verifies
 * per-line signed beacons from its catalog files. Like those files it may be stale until the first
 * refresh: a key disabled or rotated meanwhile is learned then.
 *
 * <p>One line per key: kid, secret, previous secret (or {@code -}), until when the previous signs,
 * disabled (1/0), the campaigns (comma-separated); secrets in base64url. A file this class cannot
 * read is ignored (the gateway waits for its first refresh, as without a file).
 */
final class SenderKeyFile {

    static final String FILE = "sender-keys.tsv";
    private static final String HEADER = "# AdGrid gateway: sender keys as of the last catalog refresh, format 1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private SenderKeyFile() {
    }

    /** The file's content for these keys, in kid order (the same keys give the same text). */
    static String text(Collection<SenderKey> keys) {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        keys.stream().sorted(Comparator.comparing(SenderKey::kid)).forEach(k -> s.append(k.kid()).append('\t')
                .append(ENCODER.encodeToString(k.secret().getEncoded())).append('\t')
                .append(k.previous() == null ? "-" : ENCODER.encodeToString(k.previous().getEncoded())).append('\t')
                .append(k.previousUntilMillis()).append('\t')
                .append(k.disabled() ? 1 : 0).append('\t')
                .append(String.join(",", Arrays.stream(k.campaigns()).mapToObj(Long::toString).toList())).append('\n'));
        return s.toString();
    }

    /** The keys in {@code dir}'s file; null when there is none, or it cannot be read. */
    static Map<String, SenderKey> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
                return null;
            }
            Map<String, SenderKey> keys = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split("\t", -1);
                List<Long> campaigns = new ArrayList<>();
                for (String c : f[5].isEmpty() ? new String[0] : f[5].split(",")) {
                    campaigns.add(Long.parseLong(c));
                }
                keys.put(f[0], new SenderKey(f[0], DECODER.decode(f[1]), f[2].equals("-") ? null : DECODER.decode(f[2]),
                        Long.parseLong(f[3]), f[4].equals("1"), campaigns));
            }
            return keys;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
