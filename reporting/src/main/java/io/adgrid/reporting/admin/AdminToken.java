package io.adgrid.reporting.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token of the admin endpoints: {@code ADGRID_ADMIN_TOKEN}, or one generated once and
 * kept in {@code var/admin.token} (owner-only) so restarts keep it.
 */
public final class AdminToken {

    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);
    public static final String FILE = "admin.token";

    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static AdminToken of(String token) {
        return new AdminToken(token);
    }

    /** The configured token, else the stored one, else a new random one stored for next time. */
    public static AdminToken configuredOrStored(String configured, Path varDir) {
        if (configured != null && !configured.isBlank()) {
            return new AdminToken(configured.trim());
        }
        Path file = varDir.resolve(FILE);
        try {
            if (Files.exists(file)) {
                log.info("admin token: stored in {}", file.toAbsolutePath());
                return new AdminToken(Files.readString(file).trim());
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.createDirectories(varDir);
            try {
                // Owner-only from its creation (open with mode 0600), not chmod-ed after a moment at 0644.
                Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                        token + "\n");
            } catch (UnsupportedOperationException e) {
                Files.writeString(file, token + "\n"); // not a POSIX file system: its own access rules apply
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return new AdminToken(Files.readString(file).trim()); // another process of this host made it first
            }
            log.info("admin token: generated and stored in {} (set ADGRID_ADMIN_TOKEN to choose one)", file.toAbsolutePath());
            return new AdminToken(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the admin token file " + file.toAbsolutePath(), e);
        }
    }

    /** Checks an {@code Authorization} header in constant time. */
    public boolean allows(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = authorization.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(token, given);
    }
}
