package io.sluice.source;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pulsar.common.schema.SchemaInfo;

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
      return new Routing(List.copyOf(rules));
    }
  }

  /** The built decoder: routes each record to its topic's rule, caching the choice per topic. */
  private static final class Routing implements RecordDecoder<Object> {
    private final List<Rule> rules;
    private final Map<String, RecordDecoder<?>> cache = new ConcurrentHashMap<>();

    Routing(List<Rule> rules) {
      this.rules = rules;
    }

    @Override
    public Object decode(SourceRecord record) throws Exception {
      return cache.computeIfAbsent(record.topic(), this::ruleFor).decode(record);
    }

    private RecordDecoder<?> ruleFor(String topic) {
      for (Rule r : rules) {
        if (r.pattern().matcher(topic).matches()) {
          return r.decoder();
        }
      }
      return unknown -> {
        throw new IllegalArgumentException("no schema for topic " + topic + " in TopicDecoders");
      };
    }

    /** Opens every rule's decoder with the topics that rule serves (first match wins). */
    @Override
    public void open(DecoderContext context) {
      Map<RecordDecoder<?>, Set<String>> served = new IdentityHashMap<>();
      for (Rule r : rules) {
        served.putIfAbsent(r.decoder(), new TreeSet<>());
      }
      for (String topic : context.topics()) {
        for (Rule r : rules) {
          if (r.pattern().matcher(topic).matches()) {
            served.get(r.decoder()).add(topic);
            break;
          }
        }
      }
      for (Map.Entry<RecordDecoder<?>, Set<String>> e : served.entrySet()) {
        Set<String> topics = Collections.unmodifiableSet(e.getValue());
        e.getKey()
            .open(
                new DecoderContext() {
                  @Override
                  public String appName() {
                    return context.appName();
                  }

                  @Override
                  public Set<String> topics() {
                    return topics;
                  }

                  @Override
                  public Map<String, Optional<SchemaInfo>> registeredSchemas(
                      Collection<String> topics) {
                    return context.registeredSchemas(topics);
                  }
                });
      }
    }
  }
}
