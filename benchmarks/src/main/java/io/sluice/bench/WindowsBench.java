package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.state.Serde;
import io.sluice.window.AggregateFunction;
import io.sluice.window.WindowAssigner;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.api.Producer;

/**
 * An hourly tumbling-window aggregate (count and sum per key) over {@code events} JSON events
 * (default 1,000,000) with {@code keys} keys (default 100,000) spread over 3 hours of event time,
 * on 8 partitions, against the raw Reader drain of the same backlog in the same run. Prints {@code
 * RESULT windows events_per_s=… raw_msgs_per_s=… ratio=…}. The Sluice time runs until every window
 * result is out, i.e. it includes decoding, RocksDB window state and firing.
 */
public final class WindowsBench {
  private WindowsBench() {}

  /** Count and sum of amounts. */
  static final class Stats implements AggregateFunction<ThroughputBench.Event, long[], long[]> {
    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] add(ThroughputBench.Event e, long[] acc) {
      acc[0]++;
      acc[1] += (long) (e.amount * 100);
      return acc;
    }

    @Override
    public long[] getResult(long[] acc) {
      return acc;
    }
  }

  static final Serde<long[]> PAIR =
      new Serde<>() {
        @Override
        public byte[] serialize(long[] v) {
          return java.nio.ByteBuffer.allocate(16).putLong(v[0]).putLong(v[1]).array();
        }

        @Override
        public long[] deserialize(byte[] b) {
          var buf = java.nio.ByteBuffer.wrap(b);
          return new long[] {buf.getLong(), buf.getLong()};
        }
      };

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int keys = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    long t0 =
        1_699_999_200_000L; // on the hour, so 3 hours of events fill exactly 3 windows per key
    long span = TimeUnit.HOURS.toMillis(3);
    try (BenchEnv env = new BenchEnv("windows")) {
      String topic = "persistent://public/default/bench-windows-" + System.currentTimeMillis();
      env.admin.topics().createPartitionedTopic(topic, 8);
      try (Producer<byte[]> producer = env.producer(topic)) {
        for (int i = 0; i < events; i++) {
          long ts = t0 + span * i / events;
          String json =
              "{\"id\":"
                  + i
                  + ",\"sentNanos\":0,\"user\":\"user-"
                  + (i % keys)
                  + "\",\"kind\":\"click\",\"page\":\"/p\",\"amount\":1.5,\"tags\":[],\"pad\":\"x\"}";
          producer
              .newMessage()
              .key("user-" + (i % keys))
              .eventTime(ts)
              .value(json.getBytes())
              .sendAsync();
        }
        // a far-future element on every partition closes the last hour
        producer.flush();
      }
      for (int p = 0; p < 8; p++) {
        try (Producer<byte[]> last = env.producer(topic + "-partition-" + p)) {
          last.newMessage()
              .key("flush")
              .eventTime(t0 + span * 10)
              .value(
                  "{\"id\":-1,\"sentNanos\":0,\"user\":\"flush\",\"kind\":\"x\",\"page\":\"/\",\"amount\":0,\"tags\":[],\"pad\":\"\"}"
                      .getBytes())
              .send();
        }
      }
      double raw = ThroughputBench.rawDrain(env, topic, 8, events + 8, false);
      long expectedResults = 3L * keys;
      LongAdder results = new LongAdder();
      long start = System.nanoTime();
      try (Sluice app =
          Sluice.builder()
              .name("bench-windows")
              .pulsar(env.serviceUrl, env.adminUrl)
              .stateDir(env.work.resolve("state"))
              .checkpointInterval(Duration.ofSeconds(1))
              .discoveryInterval(Duration.ZERO)
              .build()) {
        app.stream(
                PulsarSource.topics(topic)
                    .watermarks(Duration.ofSeconds(5), Duration.ofSeconds(30)),
                RecordDecoder.json(ThroughputBench.Event.class))
            .keyBy(e -> e.user, Serde.strings())
            .window(WindowAssigner.tumbling(Duration.ofHours(1)))
            .aggregate(new Stats(), PAIR)
            .forEach(r -> results.increment());
        app.start();
        while (results.sum() < expectedResults) {
          Thread.sleep(10);
        }
      }
      double sluice = (events + 8) / ((System.nanoTime() - start) / 1e9);
      System.out.printf(
          "RESULT windows events_per_s=%.0f raw_msgs_per_s=%.0f ratio=%.3f results=%d%n",
          sluice, raw, sluice / raw, results.sum());
    }
  }
}
