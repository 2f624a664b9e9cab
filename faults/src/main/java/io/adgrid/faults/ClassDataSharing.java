package io.adgrid.faults;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Class data sharing (the JDK's AppCDS, as Spring Boot documents it for its jars) for tools that
 * start many AdGrid processes from the executable jar: the integration tests (about forty starts) and
 * the fault runner (a start for every kill and restart). Most of a start's CPU goes to loading,
 * verifying and linking classes: the jar is extracted once beside itself, one training run of the
 * product writes an archive of the classes it loaded, and every later process maps that archive.
 * Measured on 2 cores: a start to a ready gateway took 11-12 s of CPU from the jar, 7-8 s with the
 * archive. If extracting or training fails, processes start from the jar as before: the archive only
 * saves time, it never decides a result.
 */
public final class ClassDataSharing {

    private static final Duration TRAINING_PATIENCE = Duration.ofMinutes(5);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private static Launch launch;

    /** The jar to run and the JVM options that map its archive. */
    public record Launch(Path jar, List<String> jvmOptions) {
    }

    private ClassDataSharing() {
    }

    /**
     * The launch for {@code execJar}: prepared (extracted and trained, with {@code jvmOptions}) on the
     * first call of this JVM, which takes a start of the product; {@code out} says what was done.
     */
    public static synchronized Launch launch(Path execJar, List<String> jvmOptions, PrintStream out) {
        if (launch == null) {
            launch = prepare(execJar.toAbsolutePath(), jvmOptions, out);
        }
        return launch;
    }

    private static Launch prepare(Path execJar, List<String> jvmOptions, PrintStream out) {
        Launch plain = new Launch(execJar, List.of());
        try {
            // One directory per build of the jar: an archive only matches the class path it was made from.
            Path dir = execJar.resolveSibling("adgrid-cds").resolve(Files.size(execJar) + "-" + Files.getLastModifiedTime(execJar).toMillis());
            Path jar = dir.resolve("app").resolve(execJar.getFileName());
            Path archive = dir.resolve("adgrid.jsa");
            Files.createDirectories(dir);
            // Other JVMs may prepare the same jar at the same time (the test forks of one module): one
            // extracts and trains, the others wait for its archive.
            try (FileChannel lockFile = FileChannel.open(dir.resolve("prepare.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (!Files.exists(archive)) {
                    if (!Files.exists(jar) && run(List.of(java(), "-Djarmode=tools", "-jar", execJar.toString(), "extract", "--destination",
                            dir.resolve("app").toString()), Duration.ofMinutes(2)) != 0) {
                        return plain;
                    }
                    Path training = dir.resolve("adgrid.jsa.part");
                    Files.deleteIfExists(training);
                    if (!train(jar, training, jvmOptions, out)) {
                        return plain;
                    }
                    Files.move(training, archive, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            return new Launch(jar, List.of("-XX:SharedArchiveFile=" + archive));
        } catch (IOException | RuntimeException e) {
            out.println("class data sharing not used (" + e + "): processes start from the jar");
            return plain;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return plain;
        }
    }

    /** One demo process from the extracted jar, until its gateway is ready; SIGTERM makes it write the archive as it exits. */
    private static boolean train(Path jar, Path archive, List<String> jvmOptions, PrintStream out) throws IOException, InterruptedException {
        int gatewayPort = freePort();
        int gridPort = freePort();
        // Its PostgreSQL and journals (about 200 MB), deleted once it has stopped: kept only to diagnose a failed training.
        Path varDir = Files.createTempDirectory("adgrid-cds-training");
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-jar", jar.toString(), "run", "--demo",
                "--adgrid.var-dir=" + varDir, "--adgrid.gateway.port=" + gatewayPort,
                "--server.port=" + freePort(), "--adgrid.grid.port=" + gridPort, "--adgrid.members=127.0.0.1:" + gridPort,
                "--adgrid.grid.cluster-name=cds-training-" + UUID.randomUUID()));
        Path log = Files.createTempFile("adgrid-cds-training", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TRAINING_PATIENCE.toNanos();
            while (p.isAlive() && System.nanoTime() < deadline && status("http://127.0.0.1:" + gatewayPort + "/healthz") != 200) {
                Thread.sleep(200);
            }
            if (!p.isAlive() || System.nanoTime() >= deadline) {
                out.println("class data sharing not used: the training run did not get ready, log " + log);
                return false;
            }
            p.destroy();
            boolean stopped = p.waitFor(2, TimeUnit.MINUTES);
            boolean written = stopped && Files.isRegularFile(archive) && Files.size(archive) > 0;
            out.println(written ? "class data sharing: archive " + archive + " (" + (Files.size(archive) >> 20) + " MB)"
                    : "class data sharing not used: the training run wrote no archive, log " + log);
            if (written) {
                deleteQuietly(varDir);
                deleteQuietly(log);
            }
            return written;
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Deletes a file or a directory tree; a leftover costs disk, not the archive (nor a fault run's
     * verdict), so a failure is ignored. Plain Java: the fault runner carries this class without Spring
     * on its class path.
     */
    static void deleteQuietly(Path path) {
        try (var paths = Files.walk(path)) {
            for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // left in the temporary directory
        }
    }

    private static int run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The java command of this JVM, for the processes it starts. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
