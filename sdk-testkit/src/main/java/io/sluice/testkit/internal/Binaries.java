package io.sluice.testkit.internal;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds installed server binaries, with an error that names the install script. */
public final class Binaries {
  private Binaries() {}

  public static Path require(String name, String debianPackage) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : (path + ":/usr/bin:/usr/sbin:/usr/local/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        name
            + " is not installed (Debian package "
            + debianPackage
            + "). Run scripts/install-servers.sh as root to install the test servers.");
  }
}
