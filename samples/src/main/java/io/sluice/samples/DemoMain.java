package io.sluice.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarStandalone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;

/**
 * The demo behind {@code scripts/demo.sh}: JSON events on three topics (clicks, orders, views; 4
 * partitions each) → a Sluice job (decode, per-user running count in keyed state, enrich) → an
 * output topic through the transactional Pulsar sink. Prints progress every second and ends with a
 * summary that checks the output against the input. Ctrl-C stops it cleanly.
 *
 * <p>Uses {@code SLUICE_PULSAR_URL}/{@code SLUICE_PULSAR_ADMIN_URL} when set; otherwise starts an
 * embedded Pulsar standalone (a child JVM) and stops it at the end.
 */
public final class DemoMain {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> KINDS = List.of("clicks", "orders", "views");

  private DemoMain() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    Path work = Path.of(System.getProperty("sluice.demo.dir", "work-data/demo"));
    removeEarlierRuns(work);
    PulsarStandalone pulsar = null;
    String url = System.getenv("SLUICE_PULSAR_URL");
    String adminUrl = System.getenv("SLUICE_PULSAR_ADMIN_URL");
    if (url == null || url.isBlank()) {
      System.out.println("demo: starting an embedded Pulsar standalone (child JVM) ...");
      long t0 = System.nanoTime();
      pulsar = PulsarStandalone.start(work.resolve("pulsar-" + System.currentTimeMillis()));
      url = pulsar.serviceUrl();
      adminUrl = pulsar.adminUrl();
      System.out.printf(
          "demo: Pulsar ready in %.1f s at %s%n", (System.nanoTime() - t0) / 1e9, url);
    }
    try {
      run(url, adminUrl, work, events, rate);
    } finally {
      if (pulsar != null) {
        pulsar.close();
      }
    }
  }

  /**
   * Each run creates its own broker data and state directories (~500 MB together); only the latest
   * run's are kept, for a look after it ended.
   */
  private static void removeEarlierRuns(Path work) throws IOException {
    if (!Files.isDirectory(work)) {
      return;
    }
    try (Stream<Path> entries = Files.list(work)) {
      for (Path dir : entries.toList()) {
        String name = dir.getFileName().toString();
        if (name.startsWith("pulsar-") || name.startsWith("state-demo-")) {
          Dirs.delete(dir);
        }
      }
    }
  }

  private static void run(String url, String adminUrl, Path work, int events, int rate)
      throws Exception {
    String run = "demo-" + System.currentTimeMillis();
    String ns = "persistent://public/default/";
    String output = ns + run + "-enriched";
    try (PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl(adminUrl).build();
        PulsarClient client = PulsarClient.builder().serviceUrl(url).build()) {
      for (String kind : KINDS) {
        admin.topics().createPartitionedTopic(ns + run + "-" + kind, 4);
      }
      admin.topics().createNonPartitionedTopic(output);

      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Counter processed = meters.counter("demo.processed");
      AtomicLong produced = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch done = new CountDownLatch(1);
      Sluice app =
          Sluice.builder()
              .name("demo")
              .pulsar(url, adminUrl)
              .stateDir(work.resolve("state-" + run))
              .checkpointInterval(Duration.ofSeconds(1))
              .meterRegistry(meters)
              .build();
      app.stream(PulsarSource.topicsMatching(ns + run + "-(clicks|orders|views)").subscription(run))
          .map(r -> decode(r.value()))
          .keyBy(e -> e.get("user").asText(), Serde.strings())
          .<ObjectNode>process(
              (event, ctx, out) -> {
                ValueState<Long> seen = ctx.valueState("events-per-user", Serde.longs());
                long n = seen.value() == null ? 1 : seen.value() + 1;
                seen.update(n);
                ObjectNode enriched = ((ObjectNode) event).put("userEventNo", n);
                out.collect(enriched);
                processed.increment();
              })
          .sinkTo(
              PulsarSink.<ObjectNode>builder()
                  .topic(output)
                  .serializer(DemoMain::encode)
                  .key(e -> e.get("user").asText())
                  .build());
      Thread hook =
          new Thread(
              () -> {
                stop.set(true);
                try {
                  done.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      app.start();
      System.out.printf(
          "demo: job running on %d partitions (recovery layer %s); producing %,d events at ~%,d/s%n",
          app.partitions().size(), app.recoveryLayer(), events, rate);

      Thread producer = new Thread(() -> produce(client, ns + run, events, rate, produced, stop));
      producer.start();
      long started = System.nanoTime();
      double last = 0;
      while (!stop.get() && app.state() == Sluice.State.RUNNING) {
        Thread.sleep(1000);
        double now = processed.count();
        long age =
            app.lastCompletedCheckpointAtMillis() == 0
                ? -1
                : System.currentTimeMillis() - app.lastCompletedCheckpointAtMillis();
        System.out.printf(
            "demo: %5.0f s  processed %,10.0f  %,8.0f rec/s  lag %,8d  checkpoint #%d (%d ms ago)%n",
            (System.nanoTime() - started) / 1e9,
            now,
            now - last,
            produced.get() - (long) now,
            app.lastCompletedCheckpoint(),
            age);
        last = now;
        if (!producer.isAlive() && (long) now >= produced.get()) {
          break;
        }
      }
      stop.set(true);
      producer.join();
      long checkpointBefore = app.lastCompletedCheckpoint();
      long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (app.lastCompletedCheckpoint() < checkpointBefore + 1
          && System.nanoTime() < waitUntil) {
        Thread.sleep(100);
      }
      app.close();
      summary(client, output, produced.get(), app);
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down (Ctrl-C)
      }
    }
  }

  private static void produce(
      PulsarClient client,
      String prefix,
      int events,
      int rate,
      AtomicLong produced,
      AtomicBoolean stop) {
    try {
      Map<String, Producer<byte[]>> producers = new HashMap<>();
      for (String kind : KINDS) {
        producers.put(
            kind,
            client
                .newProducer(Schema.BYTES)
                .topic(prefix + "-" + kind)
                .blockIfQueueFull(true)
                .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
                .create());
      }
      long started = System.nanoTime();
      for (int i = 0; i < events && !stop.get(); i++) {
        String kind = KINDS.get(i % KINDS.size());
        ObjectNode e = JSON.createObjectNode();
        e.put("id", i).put("kind", kind).put("user", "u" + (i * 7919 % 5000));
        e.put("ts", System.currentTimeMillis()).put("amount", (i % 1000) / 10.0);
        producers.get(kind).newMessage().key(e.get("user").asText()).value(encode(e)).sendAsync();
        produced.incrementAndGet();
        if (i % 1000 == 999) {
          long due = started + (long) ((i + 1) * 1e9 / rate);
          long sleep = due - System.nanoTime();
          if (sleep > 0) {
            Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
          }
        }
      }
      for (Producer<byte[]> p : producers.values()) {
        p.flush();
        p.close();
      }
    } catch (Exception e) {
      System.err.println("demo: producer failed: " + e);
      stop.set(true);
    }
  }

  private static void summary(PulsarClient client, String output, long produced, Sluice app)
      throws Exception {
    Map<Long, Integer> seen = new HashMap<>();
    long total = 0;
    try (Reader<byte[]> reader =
        client.newReader().topic(output).startMessageId(MessageId.earliest).create()) {
      while (reader.hasMessageAvailable()) {
        Message<byte[]> m = reader.readNext(10, TimeUnit.SECONDS);
        if (m == null) {
          break;
        }
        seen.merge(decode(m.getValue()).get("id").asLong(), 1, Integer::sum);
        total++;
      }
    }
    long duplicates = total - seen.size();
    long missing = produced - seen.size();
    boolean ok = duplicates == 0 && missing == 0 && app.failure().isEmpty();
    System.out.printf(
        "SUMMARY input=%d output=%d duplicates=%d missing=%d checkpoints=%d state=%s -> %s%n",
        produced,
        total,
        duplicates,
        missing,
        app.lastCompletedCheckpoint(),
        app.state(),
        ok ? "OK" : "MISMATCH");
    if (!ok) {
      System.exit(1);
    }
  }

  private static JsonNode decode(byte[] bytes) {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }

  private static byte[] encode(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
