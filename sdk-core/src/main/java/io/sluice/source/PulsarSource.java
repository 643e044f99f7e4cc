package io.sluice.source;

import io.sluice.config.Options;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which Pulsar topics a stream reads, from where, and under which durable subscription. Immutable;
 * each {@code withX}-style call returns a new source.
 *
 * <pre>{@code
 * PulsarSource.topics("persistent://public/default/orders")
 * PulsarSource.topicsMatching("persistent://public/default/orders-.*")
 *     .subscription("orders-etl")
 *     .startAt(StartPosition.earliest())
 * }</pre>
 *
 * <p>Every partition gets its own Reader (non-durable cursor). The subscription is a durable cursor
 * on every partition, advanced after each completed checkpoint; it keeps the broker from deleting
 * data not yet processed, and is the fallback when the local checkpoint is lost.
 */
public final class PulsarSource {
  /** The default {@link #maxRecordBytes}: Pulsar's own default limit of a message, 5 MiB. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 5 * 1024 * 1024;

  private final List<String> topics;
  private final Pattern pattern;
  private final String subscription;
  private final StartPosition startPosition;
  private final PositionLostPolicy positionLostPolicy;
  private final BadRecordPolicy badRecordPolicy;
  private String deadLetterTopic;
  private Duration maxOutOfOrderness = Duration.ZERO;
  private Duration idleTimeout = Duration.ofSeconds(30);
  private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;

  private PulsarSource withClock(PulsarSource from) {
    this.deadLetterTopic = from.deadLetterTopic;
    this.maxOutOfOrderness = from.maxOutOfOrderness;
    this.idleTimeout = from.idleTimeout;
    this.maxRecordBytes = from.maxRecordBytes;
    return this;
  }

  private PulsarSource(
      List<String> topics,
      Pattern pattern,
      String subscription,
      StartPosition startPosition,
      PositionLostPolicy positionLostPolicy,
      BadRecordPolicy badRecordPolicy) {
    this.badRecordPolicy = badRecordPolicy;
    this.topics = topics;
    this.pattern = pattern;
    this.subscription = subscription;
    this.startPosition = startPosition;
    this.positionLostPolicy = positionLostPolicy;
  }

  /**
   * Explicit topics (partitioned or not); short names mean {@code persistent://public/default/}.
   */
  public static PulsarSource topics(String... topics) {
    Objects.requireNonNull(topics, "topics must not be null");
    if (topics.length == 0) {
      throw new IllegalArgumentException("topics must name at least one topic");
    }
    List<String> full = Arrays.stream(topics).map(PulsarSource::qualify).toList();
    return new PulsarSource(
        full, null, null, StartPosition.earliest(), PositionLostPolicy.FAIL, BadRecordPolicy.FAIL);
  }

  /**
   * Every topic of one namespace whose full name matches {@code regex}, e.g. {@code
   * persistent://public/default/orders-.*}; new matching topics are discovered while running.
   */
  public static PulsarSource topicsMatching(String regex) {
    Objects.requireNonNull(regex, "regex must not be null");
    String full = qualify(regex);
    try {
      Pattern pattern = Pattern.compile(full);
      namespaceOf(full);
      return new PulsarSource(
          List.of(),
          pattern,
          null,
          StartPosition.earliest(),
          PositionLostPolicy.FAIL,
          BadRecordPolicy.FAIL);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "Invalid topic pattern " + regex + ": " + e.getMessage(), e);
    }
  }

  public PulsarSource subscription(String name) {
    Objects.requireNonNull(name, "subscription must not be null");
    Options.SUBSCRIPTION.check(name);
    return new PulsarSource(
            topics, pattern, name, startPosition, positionLostPolicy, badRecordPolicy)
        .withClock(this);
  }

  /**
   * Where a partition new to the app starts (default earliest). A partition with a checkpointed
   * position or a durable cursor continues from there instead; one that appeared while the app was
   * stopped, of a topic it already read or matching a pattern it already read from, starts at its
   * earliest message, as discovery starts the ones that appear while it runs.
   */
  public PulsarSource startAt(StartPosition position) {
    Objects.requireNonNull(position, "position must not be null");
    return new PulsarSource(
            topics, pattern, subscription, position, positionLostPolicy, badRecordPolicy)
        .withClock(this);
  }

  public PulsarSource onPositionLost(PositionLostPolicy policy) {
    Objects.requireNonNull(policy, "policy must not be null");
    return new PulsarSource(topics, pattern, subscription, startPosition, policy, badRecordPolicy)
        .withClock(this);
  }

  /**
   * Sends records a {@link RecordDecoder} cannot read to {@code topic} (policy DEAD_LETTER): the
   * original bytes and key, plus properties {@code sluice.error}, {@code sluice.source.topic},
   * {@code sluice.source.messageId} and {@code sluice.source.publishTime}.
   */
  public PulsarSource deadLetterTo(String topic) {
    Objects.requireNonNull(topic, "topic must not be null");
    PulsarSource copy =
        new PulsarSource(
                topics,
                pattern,
                subscription,
                startPosition,
                positionLostPolicy,
                BadRecordPolicy.DEAD_LETTER)
            .withClock(this);
    copy.deadLetterTopic = qualify(topic);
    return copy;
  }

  /** The dead-letter topic, when the policy is DEAD_LETTER. */
  public Optional<String> deadLetterTopic() {
    return Optional.ofNullable(deadLetterTopic);
  }

  /** What to do with records a {@link RecordDecoder} cannot read (default FAIL). */
  public PulsarSource onBadRecord(BadRecordPolicy policy) {
    Objects.requireNonNull(policy, "policy must not be null");
    if (policy == BadRecordPolicy.DEAD_LETTER && deadLetterTopic == null) {
      throw new IllegalArgumentException(
          "BadRecordPolicy.DEAD_LETTER needs a topic: use deadLetterTo(topic)");
    }
    return new PulsarSource(
            topics, pattern, subscription, startPosition, positionLostPolicy, policy)
        .withClock(this);
  }

  /**
   * Watermarks of this source's partitions: a partition's watermark trails the largest event time
   * it has delivered by {@code maxOutOfOrderness}; a partition silent for {@code idleTimeout} (of
   * processing time) stops holding the slot group's watermark back. Defaults: 0 and 30 s.
   */
  public PulsarSource watermarks(Duration maxOutOfOrderness, Duration idleTimeout) {
    Objects.requireNonNull(maxOutOfOrderness, "maxOutOfOrderness must not be null");
    Objects.requireNonNull(idleTimeout, "idleTimeout must not be null");
    if (maxOutOfOrderness.isNegative() || idleTimeout.toMillis() < 1) {
      throw new IllegalArgumentException(
          "Invalid watermarks("
              + maxOutOfOrderness.toMillis()
              + " ms, "
              + idleTimeout.toMillis()
              + " ms): maxOutOfOrderness must be >= 0 and idleTimeout >= 1 ms");
    }
    PulsarSource copy =
        new PulsarSource(
            topics, pattern, subscription, startPosition, positionLostPolicy, badRecordPolicy);
    copy.deadLetterTopic = deadLetterTopic;
    copy.maxRecordBytes = maxRecordBytes;
    copy.maxOutOfOrderness = maxOutOfOrderness;
    copy.idleTimeout = idleTimeout;
    return copy;
  }

  /**
   * Records whose payload is larger than {@code bytes} are bad records: they go to the source's
   * {@link BadRecordPolicy} (FAIL by default, naming topic, partition, message id and size) before
   * any decoder or operator sees them. Default {@link #DEFAULT_MAX_RECORD_BYTES} (5 MiB), the
   * broker's default {@code maxMessageSize}: a larger record can only come as a chunked message (or
   * from a broker configured for larger ones), and each one is held whole in memory; raise it for
   * such topics.
   */
  public PulsarSource maxRecordBytes(int bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException(
          "Invalid maxRecordBytes " + bytes + ": must be at least 1 byte");
    }
    PulsarSource copy =
        new PulsarSource(
                topics, pattern, subscription, startPosition, positionLostPolicy, badRecordPolicy)
            .withClock(this);
    copy.maxRecordBytes = bytes;
    return copy;
  }

  /** The payload size limit. */
  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  public Duration maxOutOfOrderness() {
    return maxOutOfOrderness;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public BadRecordPolicy badRecordPolicy() {
    return badRecordPolicy;
  }

  public List<String> topicList() {
    return topics;
  }

  public Optional<Pattern> pattern() {
    return Optional.ofNullable(pattern);
  }

  /** The subscription, if set; the app name is used otherwise. */
  public Optional<String> subscription() {
    return Optional.ofNullable(subscription);
  }

  public StartPosition startPosition() {
    return startPosition;
  }

  public PositionLostPolicy positionLostPolicy() {
    return positionLostPolicy;
  }

  /** The namespace a pattern searches, e.g. {@code public/default}. */
  public String patternNamespace() {
    return namespaceOf(pattern.pattern());
  }

  @Override
  public String toString() {
    return pattern != null ? "PulsarSource{pattern " + pattern + "}" : "PulsarSource" + topics;
  }

  static String qualify(String topic) {
    if (topic.startsWith("persistent://") || topic.startsWith("non-persistent://")) {
      return topic;
    }
    if (topic.contains("/")) {
      return "persistent://" + topic;
    }
    return "persistent://public/default/" + topic;
  }

  private static String namespaceOf(String fullPattern) {
    String rest = fullPattern.substring(fullPattern.indexOf("://") + 3);
    String[] parts = rest.split("/");
    if (parts.length < 3
        || parts[0].matches(".*[\\\\.*+?\\[(].*")
        || parts[1].matches(".*[\\\\.*+?\\[(].*")) {
      throw new IllegalArgumentException(
          "Topic pattern "
              + fullPattern
              + " must name its tenant and namespace literally, e.g."
              + " persistent://public/default/orders-.*");
    }
    return parts[0] + "/" + parts[1];
  }
}
