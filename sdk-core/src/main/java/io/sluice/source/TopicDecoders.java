package io.sluice.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One decoder for many topics, each topic (or topic pattern) with its own schema: hundreds of
 * topics with different JSON schemas in one job. The first matching rule wins; the match is cached
 * per partition topic.
 *
 * <pre>{@code
 * RecordDecoder<Object> decoder = TopicDecoders.builder()
 *     .topic("orders", RecordDecoder.json(Order.class))
 *     .pattern("persistent://public/default/clicks-.*", RecordDecoder.json(Click.class))
 *     .build();
 * }</pre>
 *
 * A record of a topic no rule matches is a bad record (the source's bad-record policy applies).
 */
public final class TopicDecoders {
  private TopicDecoders() {}

  public static Builder builder() {
    return new Builder();
  }

  private record Rule(Pattern pattern, RecordDecoder<?> decoder) {}

  /** Rules of a {@link TopicDecoders} decoder. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();

    private Builder() {}

    /** Records of {@code topic} (short names mean {@code persistent://public/default/}). */
    public Builder topic(String topic, RecordDecoder<?> decoder) {
      Objects.requireNonNull(topic, "topic must not be null");
      Objects.requireNonNull(decoder, "decoder must not be null");
      rules.add(new Rule(Pattern.compile(Pattern.quote(PulsarSource.qualify(topic))), decoder));
      return this;
    }

    /** Records of every topic whose full name matches {@code regex}. */
    public Builder pattern(String regex, RecordDecoder<?> decoder) {
      Objects.requireNonNull(regex, "regex must not be null");
      Objects.requireNonNull(decoder, "decoder must not be null");
      rules.add(new Rule(Pattern.compile(PulsarSource.qualify(regex)), decoder));
      return this;
    }

    public RecordDecoder<Object> build() {
      if (rules.isEmpty()) {
        throw new IllegalArgumentException(
            "TopicDecoders needs at least one topic or pattern rule");
      }
      List<Rule> frozen = List.copyOf(rules);
      Map<String, RecordDecoder<?>> cache = new ConcurrentHashMap<>();
      return record -> {
        RecordDecoder<?> decoder =
            cache.computeIfAbsent(
                record.topic(),
                topic -> {
                  for (Rule r : frozen) {
                    if (r.pattern().matcher(topic).matches()) {
                      return r.decoder();
                    }
                  }
                  return unknown -> {
                    throw new IllegalArgumentException(
                        "no schema for topic " + topic + " in TopicDecoders");
                  };
                });
        return decoder.decode(record);
      };
    }
  }
}
