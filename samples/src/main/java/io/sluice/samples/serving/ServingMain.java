package io.sluice.samples.serving;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.samples.common.PulsarEndpoint;
import io.sluice.samples.common.RedisEndpoint;
import io.sluice.samples.common.SampleOptions;
import io.sluice.sink.redis.RedisCommand;
import io.sluice.sink.redis.RedisSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import redis.clients.jedis.RedisClient;

/**
 * The serving sample: a small HTTP service ({@link ServingApi}) that embeds a Sluice job. The job
 * reads song plays and keeps, in Redis and exactly once, a total play counter and one per song
 * (INCRBY), a leaderboard of songs (ZADD of each song's total, counted in keyed state) and distinct
 * listeners per song and overall (PFADD). The service answers from Redis; {@code /health} reports
 * the job's state and checkpoint age. At the end the sample asks its own HTTP API and compares the
 * answers with the generated input ({@link ServingCheck}).
 *
 * <pre>
 * options (defaults):  --plays 200000  --users 20000  --songs 500  --rate 10000  --port 0 (any)
 *   --checkpoint 2s  --timeout 600s  --work work-data/serving  --run &lt;id&gt;
 *   --redis redis://host:port  --pulsar pulsar://… --pulsar-admin http://…
 * </pre>
 */
public final class ServingMain {
  private ServingMain() {}

  public static int run(SampleOptions options) throws Exception {
    String run = options.string("run", Long.toString(System.currentTimeMillis() % 10_000_000));
    PlayLayout layout =
        new PlayLayout(
            options.longValue("plays", 200_000),
            options.integer("users", 20_000),
            options.integer("songs", 500));
    int rate = options.integer("rate", 10_000);
    int port = options.integer("port", 0);
    Duration checkpoint = options.duration("checkpoint", Duration.ofSeconds(2));
    Duration timeout = options.duration("timeout", Duration.ofSeconds(600));
    Path work = Path.of(options.string("work", "work-data/serving")).toAbsolutePath();
    try (PulsarEndpoint pulsar = PulsarEndpoint.open(options, work, "serving");
        RedisEndpoint redis = RedisEndpoint.open(options, work, "serving")) {
      options.checkUsed();
      String topic = "persistent://public/default/plays-" + run;
      RedisKeys keys = new RedisKeys("serving-" + run);
      try (PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl(pulsar.adminUrl()).build();
          PulsarClient client = PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build();
          RedisClient jedis = RedisClient.create(URI.create(redis.url()))) {
        admin.topics().createPartitionedTopic(topic, 2);
        Sluice app =
            Sluice.builder()
                .name("serving-" + run)
                .pulsar(pulsar.serviceUrl(), pulsar.adminUrl())
                .stateDir(work.resolve("state-" + run))
                .checkpointInterval(checkpoint)
                .meterRegistry(new SimpleMeterRegistry())
                .build();
        LongAdder processed = new LongAdder();
        app.stream(
                PulsarSource.topics(topic).subscription("serving-" + run),
                RecordDecoder.json(Play.class))
            .keyBy(p -> p.song, Serde.strings())
            .<Counted>process(
                (play, ctx, out) -> {
                  ValueState<Long> plays = ctx.valueState("plays", Serde.longs());
                  long n = plays.value() == null ? 1 : plays.value() + 1;
                  plays.update(n);
                  processed.increment();
                  out.collect(new Counted(play, n));
                })
            .sinkTo(
                RedisSink.<Counted>builder()
                    .uri(redis.url())
                    .commands(c -> commands(keys, c))
                    .build());
        app.start();
        try (ServingApi api = new ServingApi(port, jedis, keys, app, checkpoint)) {
          System.out.printf("serving: HTTP API on http://127.0.0.1:%d%n", api.port());
          AtomicBoolean stop = new AtomicBoolean();
          AtomicLong sent = new AtomicLong();
          Thread producing =
              new Thread(() -> produce(client, topic, layout, rate, sent, stop), "plays-generator");
          producing.start();
          ServingCheck check = new ServingCheck(api.port(), layout);
          boolean drained = false;
          int healthWhileRunning = 0;
          long started = System.nanoTime();
          long last = 0;
          for (long tick = 1; app.state() == Sluice.State.RUNNING; tick++) {
            tick = Math.max(tick, (System.nanoTime() - started) / 1_000_000_000L + 1);
            TimeUnit.NANOSECONDS.sleep(
                started + TimeUnit.SECONDS.toNanos(tick) - System.nanoTime());
            healthWhileRunning = check.healthStatus();
            long now = processed.sum();
            System.out.printf(
                "serving: %4d s  sent %,9d  processed %,9d  %,7d plays/s  /plays/total %s"
                    + "  /health %d  checkpoint #%d%n",
                tick,
                sent.get(),
                now,
                now - last,
                check.total(),
                healthWhileRunning,
                app.lastCompletedCheckpoint());
            last = now;
            if (!producing.isAlive() && sent.get() == layout.plays()) {
              SubscriptionStats sub =
                  admin
                      .topics()
                      .getPartitionedStats(topic, false)
                      .getSubscriptions()
                      .get("serving-" + run);
              if (sub != null && sub.getMsgBacklog() == 0) {
                drained = true;
                break;
              }
            }
            if (System.nanoTime() - started > timeout.toNanos()
                || !producing.isAlive() && sent.get() < layout.plays()) {
              System.out.println("serving: not done (timeout or generator failure)");
              break;
            }
          }
          stop.set(true);
          producing.join();
          ServingCheck.Result result = check.run();
          app.close();
          boolean ok =
              result.ok() && drained && healthWhileRunning == 200 && app.failure().isEmpty();
          app.failure().ifPresent(f -> System.out.println("serving: the app failed: " + f));
          System.out.printf(
              "SUMMARY serving %s health=%d checkpoints=%d -> %s%n",
              result.line(),
              healthWhileRunning,
              app.lastCompletedCheckpoint(),
              ok ? "OK" : "MISMATCH");
          return ok ? 0 : 1;
        } finally {
          app.close();
        }
      }
    }
  }

  /** A play and its song's play count so far (from keyed state). */
  record Counted(Play play, long songPlays) {}

  private static List<RedisCommand> commands(RedisKeys keys, Counted c) {
    return List.of(
        RedisCommand.incrBy(keys.total(), 1),
        RedisCommand.incrBy(keys.songPlays(c.play().song), 1),
        // the absolute count from keyed state: the leaderboard needs no ZINCRBY
        RedisCommand.zadd(keys.leaderboard(), c.songPlays(), c.play().song),
        RedisCommand.pfadd(keys.listeners(c.play().song), c.play().user),
        RedisCommand.pfadd(keys.allListeners(), c.play().user));
  }

  private static void produce(
      PulsarClient client,
      String topic,
      PlayLayout layout,
      int rate,
      AtomicLong sent,
      AtomicBoolean stop) {
    try (Producer<byte[]> producer =
        client
            .newProducer(Schema.BYTES)
            .topic(topic)
            .blockIfQueueFull(true)
            .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
            .create()) {
      long started = System.nanoTime();
      for (long j = 0; j < layout.plays() && !stop.get(); j++) {
        Play p = layout.play(j);
        p.ts = System.currentTimeMillis();
        producer
            .newMessage()
            .key(p.song)
            .value(p.toJson().getBytes(StandardCharsets.UTF_8))
            .sendAsync();
        if (sent.incrementAndGet() % 100 == 0) {
          long wait = started + (long) (sent.get() * 1e9 / rate) - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
      }
      producer.flush();
    } catch (Exception e) {
      System.out.println("serving: the generator failed: " + e);
    }
  }
}
