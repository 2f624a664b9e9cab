package io.adgrid.app.launch.planted;

import java.io.IOException;
import java.nio.file.Path;
import org.springframework.util.FileSystemUtils;

/** A launch class that uses Spring: ArchitectureTest's rule for the fault runner's classes must catch it. */
public final class LaunchWithSpring {

    private LaunchWithSpring() {
    }

    public static boolean delete(Path dir) throws IOException {
        return FileSystemUtils.deleteRecursively(dir);
    }
}
