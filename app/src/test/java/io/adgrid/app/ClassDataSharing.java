package io.adgrid.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Class data sharing (the JDK's AppCDS, as Spring Boot documents it for its jars) for the processes
 * the tests start. Most of a start's CPU goes to loading, verifying and linking classes, and the tests
 * start about forty processes: the executable jar is extracted once, one training run of the
 * product writes an archive of the classes it loaded, and every later process maps that archive.
 * Measured on 2 cores: a start to a ready gateway took 11-12 s of CPU from the jar, 7-8 s with the
 * archive. If extracting or training fails, processes start from the jar as before: the archive only
 * saves time, it never decides a result.
 */
final class ClassDataSharing {

    private static final Duration TRAINING_PATIENCE = Duration.ofMinutes(5);

    private static Launch launch;

    /** The jar to run and the JVM options that map its archive. */
    record Launch(Path jar, List<String> jvmOptions) {
    }

    private ClassDataSharing() {
    }

    /** The launch for {@code execJar}: prepared (extracted and trained) on the first call of this JVM. */
    static synchronized Launch launch(Path execJar, List<String> jvmOptions) {
        if (launch == null) {
            launch = prepare(execJar.toAbsolutePath(), jvmOptions);
        }
        return launch;
    }

    private static Launch prepare(Path execJar, List<String> jvmOptions) {
        Launch plain = new Launch(execJar, List.of());
        try {
            // One directory per build of the jar: an archive only matches the class path it was made from.
            Path dir = execJar.resolveSibling("adgrid-cds").resolve(Files.size(execJar) + "-" + Files.getLastModifiedTime(execJar).toMillis());
            Path jar = dir.resolve("app").resolve(execJar.getFileName());
            Path archive = dir.resolve("adgrid.jsa");
            if (!Files.exists(archive)) {
                if (!Files.exists(jar) && run(List.of(java(), "-Djarmode=tools", "-jar", execJar.toString(), "extract", "--destination",
                        dir.resolve("app").toString()), Duration.ofMinutes(2)) != 0) {
                    return plain;
                }
                Path training = dir.resolve("adgrid.jsa.part");
                Files.deleteIfExists(training);
                if (!train(jar, training, jvmOptions)) {
                    return plain;
                }
                Files.move(training, archive, StandardCopyOption.ATOMIC_MOVE);
            }
            return new Launch(jar, List.of("-XX:SharedArchiveFile=" + archive));
        } catch (IOException | RuntimeException e) {
            System.out.println("class data sharing not used (" + e + "): processes start from the jar");
            return plain;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return plain;
        }
    }

    /** One demo process from the extracted jar, until its gateway is ready; SIGTERM makes it write the archive as it exits. */
    private static boolean train(Path jar, Path archive, List<String> jvmOptions) throws IOException, InterruptedException {
        int gatewayPort = AdGridProcess.freePort();
        int gridPort = AdGridProcess.freePort();
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-jar", jar.toString(), "run", "--demo",
                "--adgrid.var-dir=" + Files.createTempDirectory("adgrid-cds-training"), "--adgrid.gateway.port=" + gatewayPort,
                "--server.port=" + AdGridProcess.freePort(), "--adgrid.grid.port=" + gridPort, "--adgrid.members=127.0.0.1:" + gridPort,
                "--adgrid.grid.cluster-name=cds-training-" + UUID.randomUUID()));
        Path log = Files.createTempFile("adgrid-cds-training", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TRAINING_PATIENCE.toNanos();
            while (p.isAlive() && System.nanoTime() < deadline && Probes.status("http://127.0.0.1:" + gatewayPort + "/healthz") != 200) {
                Thread.sleep(200);
            }
            if (!p.isAlive() || System.nanoTime() >= deadline) {
                System.out.println("class data sharing not used: the training run did not get ready, log " + log);
                return false;
            }
            p.destroy();
            boolean written = p.waitFor(2, TimeUnit.MINUTES) && Files.isRegularFile(archive) && Files.size(archive) > 0;
            System.out.println(written ? "class data sharing: archive " + archive + " (" + (Files.size(archive) >> 20) + " MB)"
                    : "class data sharing not used: the training run wrote no archive, log " + log);
            return written;
        } finally {
            p.destroyForcibly();
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

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
