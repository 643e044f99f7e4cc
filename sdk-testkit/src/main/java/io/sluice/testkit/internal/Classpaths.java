package io.sluice.testkit.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Where the classes a child JVM needs live. */
public final class Classpaths {
  private static final String BROKER_CLASSPATH_RESOURCE =
      "/io/sluice/testkit/pulsar-broker.classpath";

  private Classpaths() {}

  /** The jar or classes directory holding the test kit (needed by every child for its watchdog). */
  public static String testkitLocation() {
    try {
      return Path.of(
              ParentWatchdogMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the sluice test kit classes", e);
    }
  }

  /** The pulsar-broker classpath Maven resolved when sdk-testkit-broker was built. */
  public static String pulsarBroker() {
    try (InputStream in = Classpaths.class.getResourceAsStream(BROKER_CLASSPATH_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource "
                + BROKER_CLASSPATH_RESOURCE
                + " is missing: build the sdk-testkit-broker module first"
                + " (./mvnw -pl sdk-testkit-broker install)");
      }
      String classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      if (classpath.isEmpty()) {
        throw new IllegalStateException("resource " + BROKER_CLASSPATH_RESOURCE + " is empty");
      }
      return classpath;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
