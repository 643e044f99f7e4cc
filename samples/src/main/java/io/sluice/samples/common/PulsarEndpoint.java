package io.sluice.samples.common;

import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;

/**
 * The Pulsar cluster a sample uses: the URLs it was given ({@code --pulsar}/{@code --pulsar-admin},
 * or {@code SLUICE_PULSAR_URL}/{@code SLUICE_PULSAR_ADMIN_URL}), else an embedded standalone broker
 * from the test kit (a child JVM, stopped on close).
 */
public final class PulsarEndpoint implements AutoCloseable {
  private final String serviceUrl;
  private final String adminUrl;
  private final PulsarStandalone embedded;

  private PulsarEndpoint(String serviceUrl, String adminUrl, PulsarStandalone embedded) {
    this.serviceUrl = serviceUrl;
    this.adminUrl = adminUrl;
    this.embedded = embedded;
  }

  public static PulsarEndpoint open(SampleOptions options, Path work, String sample) {
    String url = options.string("pulsar", System.getenv("SLUICE_PULSAR_URL"));
    String admin = options.string("pulsar-admin", System.getenv("SLUICE_PULSAR_ADMIN_URL"));
    if (url != null && !url.isBlank()) {
      if (admin == null || admin.isBlank()) {
        throw new IllegalArgumentException("--pulsar needs --pulsar-admin (the HTTP admin URL)");
      }
      System.out.printf("%s: using Pulsar at %s%n", sample, url);
      return new PulsarEndpoint(url, admin, null);
    }
    System.out.printf("%s: starting an embedded Pulsar standalone (child JVM) ...%n", sample);
    long t0 = System.nanoTime();
    PulsarStandalone broker = PulsarStandalone.start(work.resolve("pulsar"));
    System.out.printf(
        "%s: Pulsar ready in %.1f s at %s%n",
        sample, (System.nanoTime() - t0) / 1e9, broker.serviceUrl());
    return new PulsarEndpoint(broker.serviceUrl(), broker.adminUrl(), broker);
  }

  public String serviceUrl() {
    return serviceUrl;
  }

  public String adminUrl() {
    return adminUrl;
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
