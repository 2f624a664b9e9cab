package io.adgrid.gatling.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Simulation settings from system properties ({@code -Drate=2000}); the gatling-maven-plugin passes the
 * {@code -D} options of the {@code mvn} command line on to the Gatling JVM.
 */
public final class Settings {

    private Settings() {
    }

    public static String string(String name, String fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public static double number(String name, double fallback) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a number, not '" + v + "'");
        }
    }

    public static int integer(String name, int fallback) {
        return (int) Math.round(number(name, fallback));
    }

    /** Share in [0, 1]. */
    public static double share(String name, double fallback) {
        double v = number(name, fallback);
        if (v < 0 || v > 1) {
            throw new IllegalArgumentException("-D" + name + " must be between 0 and 1, not " + v);
        }
        return v;
    }

    /** The ingest gateway, {@code -DbaseUrl}. */
    public static String gatewayUrl() {
        return stripSlash(string("baseUrl", "http://localhost:8080"));
    }

    /** The reporting API, {@code -DreportingUrl}. */
    public static String reportingUrl() {
        return stripSlash(string("reportingUrl", "http://localhost:8081"));
    }

    /**
     * The admin bearer token for {@code POST /api/v1/admin/flush}: {@code -DadminToken}, else
     * {@code ADGRID_ADMIN_TOKEN}, else the file {@code -DadminTokenFile}, else {@code var/admin.token} in the
     * working directory or one of its two parents (what {@code ./adgrid run} writes).
     */
    public static Optional<String> adminToken() {
        String token = string("adminToken", System.getenv("ADGRID_ADMIN_TOKEN"));
        if (token != null && !token.isBlank()) {
            return Optional.of(token.trim());
        }
        String file = string("adminTokenFile", null);
        if (file != null) {
            return read(Path.of(file));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 3 && dir != null; i++, dir = dir.getParent()) {
            Optional<String> found = read(dir.resolve("var").resolve("admin.token"));
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * Where the simulations write their exactness and knee reports: {@code -DreportDir}, else the module's
     * {@code target/} (from the repository root or the module directory).
     */
    public static Path reportDir() {
        String dir = string("reportDir", null);
        if (dir != null) {
            return Path.of(dir);
        }
        return Files.isDirectory(Path.of("gatling", "src")) ? Path.of("gatling", "target", "adgrid-reports")
                : Path.of("target", "adgrid-reports");
    }

    private static Optional<String> read(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).trim();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
