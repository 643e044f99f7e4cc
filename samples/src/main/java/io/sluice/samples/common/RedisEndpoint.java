package io.sluice.samples.common;

import io.sluice.testkit.RedisServer;
import java.nio.file.Path;

/**
 * The Redis server a sample uses: {@code --redis redis://host:port} if given, else one started from
 * the installed Debian binary by the test kit (stopped on close).
 */
public final class RedisEndpoint implements AutoCloseable {
  private final String url;
  private final RedisServer embedded;

  private RedisEndpoint(String url, RedisServer embedded) {
    this.url = url;
    this.embedded = embedded;
  }

  public static RedisEndpoint open(SampleOptions options, Path work, String sample) {
    String url = options.string("redis", null);
    if (url != null) {
      System.out.printf("%s: using Redis at %s%n", sample, url);
      return new RedisEndpoint(url, null);
    }
    RedisServer server = RedisServer.start(work.resolve("redis"));
    System.out.printf("%s: started Redis at %s%n", sample, server.url());
    return new RedisEndpoint(server.url(), server);
  }

  /** {@code redis://host:port}. */
  public String url() {
    return url;
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
