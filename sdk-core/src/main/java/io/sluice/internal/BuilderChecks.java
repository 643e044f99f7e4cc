package io.sluice.internal;

import io.sluice.config.Options;
import io.sluice.errors.ConfigException;
import io.sluice.source.BadRecordPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** The checks and defaults of {@code Sluice.Builder} that need more than an option's rule. */
public final class BuilderChecks {
  private BuilderChecks() {}

  /** {@code <host name>-<process id>}, cut to an instance name's 64 allowed characters. */
  public static String defaultInstanceName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "host";
    }
    String name = (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._-]", "_");
    return name.length() <= 64 ? name : name.substring(name.length() - 64);
  }

  /** The settings an app cannot start without: its name, the broker and the state directory. */
  public static void checkRequired(String name, String serviceUrl, Path stateDir) {
    if (name == null) {
      throw new ConfigException("Missing " + Options.NAME.key() + ": call name(...)");
    }
    if (serviceUrl == null) {
      throw new ConfigException(
          "Missing " + Options.SERVICE_URL.key() + ": call pulsar(serviceUrl, adminUrl)");
    }
    if (stateDir == null) {
      throw new ConfigException("Missing " + Options.STATE_DIR.key() + ": call stateDir(...)");
    }
  }

  /** A sink's bad records fail the app or are skipped: no sink has a dead-letter topic. */
  public static BadRecordPolicy checkSinkPolicy(BadRecordPolicy policy) {
    Objects.requireNonNull(policy, "policy must not be null");
    if (policy == BadRecordPolicy.DEAD_LETTER) {
      throw new ConfigException(
          "onBadSinkRecord: DEAD_LETTER is for sources (PulsarSource.deadLetterTo); a record a"
              + " sink cannot write either fails the app (FAIL) or is counted in"
              + " sluice.sink.bad.records and left out (SKIP)");
    }
    return policy;
  }

  /** Creates {@code dir} if needed and proves this user can write files in it. */
  public static void checkWritable(Path dir) {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".sluice-write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new ConfigException(
          "Invalid value "
              + dir
              + " for "
              + Options.STATE_DIR.key()
              + ": must be a writable directory ("
              + e
              + "). Create it with write permission for this user, or choose another path.",
          e);
    }
  }

  /** Adds slot group {@code name} of {@code topics} to {@code groupOfTopic}, or refuses it. */
  public static void declareSlotGroup(
      Map<String, String> groupOfTopic, String name, String... topics) {
    if (!name.matches("[A-Za-z0-9_-]{1,32}") || name.equals("default")) {
      throw new ConfigException(
          "Invalid slot group name '"
              + name
              + "': must be 1-32 characters of [A-Za-z0-9_-] and not 'default'");
    }
    if (topics.length == 0) {
      throw new ConfigException("Slot group " + name + " names no topic");
    }
    for (String topic : topics) {
      String full = topic.contains("://") ? topic : "persistent://public/default/" + topic;
      String previous = groupOfTopic.putIfAbsent(full, name);
      if (previous != null) {
        throw new ConfigException(
            "Topic " + full + " is in slot groups " + previous + " and " + name + ": pick one");
      }
    }
  }

  public static void checkAutoSlotGroups(double hotBytesPerSecond, int sharedGroups) {
    if (hotBytesPerSecond <= 0) {
      throw new ConfigException(
          "Invalid value " + hotBytesPerSecond + " for hotBytesPerSecond: must be above 0");
    }
    if (sharedGroups < 1 || sharedGroups > 64) {
      throw new ConfigException(
          "Invalid value " + sharedGroups + " for sharedGroups: must be between 1 and 64");
    }
  }
}
