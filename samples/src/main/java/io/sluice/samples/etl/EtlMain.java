package io.sluice.samples.etl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.samples.common.PulsarEndpoint;
import io.sluice.samples.common.SampleOptions;
import io.sluice.sink.hdfs.HdfsSink;
import io.sluice.source.PulsarSource;
import io.sluice.stream.DataStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import org.apache.pulsar.common.policies.data.TopicStats;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;

/**
 * The etl sample: hundreds of JSON topics over several namespaces, each with its own schema in the
 * Pulsar schema registry, into Hive-style Parquet partitions {@code topic=…/dt=…/hr=…} with a
 * {@code _SUCCESS} marker per complete hour. Bad records go to a dead-letter topic; automatic slot
 * groups give the hot topic its own processing thread. A generator produces the input (one topic
 * ten times as busy as each other), a line every second shows progress, and the end compares every
 * file and dead letter with the input ({@link EtlCheck}).
 *
 * <pre>
 * options (defaults):  --topics 300  --namespaces 3  --records 300000  --rate 10000
 *   --hot-factor 10  --bad-every 500  --hours 4  --start 2026-12-06T00:00:00Z  --lateness 20m
 *   --format parquet|json  --hdfs file://&lt;work&gt;/hdfs (or hdfs://namenode:8020/dir)
 *   --work work-data/etl  --run &lt;id&gt; (same id and work dir: resume after a crash)
 *   --checkpoint 2s  --timeout 600s  --pulsar pulsar://… --pulsar-admin http://…
 * </pre>
 */
public final class EtlMain {
  /** A topic that got no record for this long stops holding its writer's hours open. */
  private static final Duration WRITER_IDLE = Duration.ofSeconds(10);

  private EtlMain() {}

  public static int run(SampleOptions options) throws Exception {
    String run = options.string("run", Long.toString(System.currentTimeMillis() % 10_000_000));
    EtlLayout layout =
        new EtlLayout(
            run,
            options.integer("topics", 300),
            options.integer("namespaces", 3),
            options.longValue("records", 300_000),
            options.integer("hot-factor", 10),
            options.integer("bad-every", 500),
            Instant.parse(options.string("start", "2026-12-06T00:00:00Z")),
            options.integer("hours", 4));
    int rate = options.integer("rate", 10_000);
    Duration lateness = options.duration("lateness", Duration.ofMinutes(20));
    Duration checkpoint = options.duration("checkpoint", Duration.ofSeconds(2));
    Duration timeout = options.duration("timeout", Duration.ofSeconds(600));
    boolean parquet = options.string("format", "parquet").equals("parquet");
    Path work = Path.of(options.string("work", "work-data/etl")).toAbsolutePath();
    String hdfs = options.string("hdfs", work.resolve("hdfs").toUri().toString());
    URI base = URI.create(hdfs.replaceAll("/+$", "") + "/etl-" + run);
    try (PulsarEndpoint pulsar = PulsarEndpoint.open(options, work, "etl")) {
      options.checkUsed();
      return new EtlMain.Job(layout, pulsar, work, base, parquet, rate, lateness, checkpoint)
          .run(timeout);
    }
  }

  /** One run of the sample against a cluster. */
  private record Job(
      EtlLayout layout,
      PulsarEndpoint pulsar,
      Path work,
      URI base,
      boolean parquet,
      int rate,
      Duration lateness,
      Duration checkpoint) {

    int run(Duration timeout) throws Exception {
      try (PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl(pulsar.adminUrl()).build();
          PulsarClient client = PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build()) {
        long t0 = System.nanoTime();
        createTopics(admin);
        System.out.printf(
            "etl: %d topics in %d namespaces, each with its own JSON schema (%.1f s); output %s%n",
            layout.topics(), layout.namespaceList().size(), (System.nanoTime() - t0) / 1e9, base);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        LongAdder processed = new LongAdder();
        Sluice app = buildApp(meters, processed);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = stopOnSignal(stop, finished);
        app.start();
        EtlGenerator generator = new EtlGenerator(layout, client, rate, stop);
        Thread producing = new Thread(generator, "etl-generator");
        producing.start();
        boolean drained;
        try {
          drained = new Progress(app, generator, meters, processed).until(admin, stop, timeout);
          stop.set(true);
          producing.join();
          if (drained) {
            // Once every writer has been idle for its idle timeout (a writer that has written
            // nothing, as one a regroup just made, holds every hour open for as long after it
            // starts), a checkpoint reports where each topic's time stopped, and the commit of the
            // next one marks the hours that passed.
            long idleEnds = System.nanoTime() + WRITER_IDLE.toNanos() + 1_000_000_000L;
            while (System.nanoTime() < idleEnds) {
              Thread.sleep(100);
            }
            awaitCheckpoints(app, 3);
          }
        } finally {
          app.close();
        }
        int status = summary(client, app, generator, drained);
        finished.countDown();
        removeHook(hook);
        return status;
      }
    }

    private void createTopics(PulsarAdmin admin) throws Exception {
      for (String ns : layout.namespaceList()) {
        try {
          admin.namespaces().createNamespace(ns);
        } catch (PulsarAdminException.ConflictException e) {
          // there from an earlier run
        }
        // the generator resumes after a crash by sequence id: the broker drops what it stored
        admin.namespaces().setDeduplicationStatus(ns, true);
      }
      List<CompletableFuture<Void>> pending = new ArrayList<>();
      for (int t = 0; t < layout.topics(); t++) {
        String topic = layout.topic(t);
        SchemaInfo schema =
            SchemaInfo.builder()
                .name("Event" + t)
                .type(SchemaType.JSON)
                .schema(layout.schema(t).getBytes(StandardCharsets.UTF_8))
                .properties(Map.of())
                .build();
        pending.add(
            admin
                .topics()
                .createNonPartitionedTopicAsync(topic)
                .exceptionally(
                    e -> {
                      for (Throwable c = e; c != null; c = c.getCause()) {
                        if (c instanceof PulsarAdminException.ConflictException) {
                          return null; // there from an earlier run
                        }
                      }
                      throw new IllegalStateException("cannot create " + topic, e);
                    })
                .thenCompose(v -> admin.schemas().createSchemaAsync(topic, schema)));
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    }

    private Sluice buildApp(SimpleMeterRegistry meters, LongAdder processed) {
      // A cold topic's byte rate is about rate / (topics - 1 + hotFactor) x 90 bytes; the hot one
      // is hotFactor times that. The threshold sits in between.
      double cold = (double) rate / (layout.topics() - 1 + layout.hotFactor()) * 90;
      Sluice app =
          Sluice.builder()
              .name("etl-" + layout.run())
              .pulsar(pulsar.serviceUrl(), pulsar.adminUrl())
              .stateDir(work.resolve("state-" + layout.run()))
              .checkpointInterval(checkpoint)
              .autoSlotGroups(cold * Math.max(2, layout.hotFactor() / 2.0), 2)
              .regroupInterval(Duration.ofSeconds(5))
              .meterRegistry(meters)
              .build();
      DataStream<EtlRow> rows = null;
      for (String ns : layout.namespaceList()) {
        DataStream<EtlRow> in =
            app.stream(
                PulsarSource.topicsMatching(layout.pattern(ns))
                    .subscription("etl-" + layout.run())
                    .deadLetterTo(layout.deadLetterTopic()),
                new SchemaCheckedDecoder());
        rows = rows == null ? in : rows.union(in);
      }
      HdfsSink.Builder<EtlRow> sink =
          HdfsSink.<EtlRow>builder()
              .name("hdfs")
              .basePath(base.toString())
              .configuration(hadoopConf())
              .bucketByTime(
                  r -> "topic=" + r.topic(),
                  EtlRow::eventTime,
                  Duration.ofHours(1),
                  "'dt='yyyy-MM-dd/'hr='HH")
              .successMarkers(lateness, WRITER_IDLE);
      if (parquet) {
        sink.parquet(EtlRow.parquet());
      } else {
        sink.lines(EtlRow::toJsonLine);
      }
      rows.map(
              r -> {
                processed.increment();
                return r;
              })
          .sinkTo(sink.build());
      return app;
    }

    private static void awaitCheckpoints(Sluice app, int n) throws InterruptedException {
      long target = app.lastCompletedCheckpoint() + n;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (app.lastCompletedCheckpoint() < target && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    }

    private int summary(PulsarClient client, Sluice app, EtlGenerator generator, boolean drained)
        throws Exception {
      EtlCheck.Result result;
      try (FileSystem fs = fileSystem()) {
        result =
            new EtlCheck(layout, fs, new org.apache.hadoop.fs.Path(base), lateness).run(client);
      }
      boolean ok = result.ok() && drained && generator.failure() == null && app.failure().isEmpty();
      if (generator.failure() != null) {
        System.out.println("etl: the generator failed: " + generator.failure());
      }
      app.failure().ifPresent(f -> System.out.println("etl: the app failed: " + f));
      System.out.printf(
          "SUMMARY etl %s checkpoints=%d recovery=%s -> %s%n",
          result.line(),
          app.lastCompletedCheckpoint(),
          app.recoveryLayer(),
          ok ? "OK" : "MISMATCH");
      return ok ? 0 : 1;
    }

    private Configuration hadoopConf() {
      Configuration conf = new Configuration();
      conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
      conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 12);
      return conf;
    }

    private FileSystem fileSystem() throws java.io.IOException {
      if (base.getScheme() == null || base.getScheme().equals("file")) {
        return FileSystem.getLocal(hadoopConf()).getRawFileSystem();
      }
      return FileSystem.newInstance(base, hadoopConf());
    }

    /** The line every second, and the end of the run: all input processed and committed. */
    private final class Progress {
      private final Sluice app;
      private final EtlGenerator generator;
      private final SimpleMeterRegistry meters;
      private final LongAdder processed;

      Progress(
          Sluice app, EtlGenerator generator, SimpleMeterRegistry meters, LongAdder processed) {
        this.app = app;
        this.generator = generator;
        this.meters = meters;
        this.processed = processed;
      }

      /** True once the generator is done and the subscription has no backlog left. */
      boolean until(PulsarAdmin admin, AtomicBoolean stop, Duration timeout) throws Exception {
        long started = System.nanoTime();
        long last = 0;
        for (long tick = 1; !stop.get() && app.state() == Sluice.State.RUNNING; tick++) {
          // a line a second; a second spent waiting for the machine is skipped, not caught up
          tick = Math.max(tick, (System.nanoTime() - started) / 1_000_000_000L + 1);
          TimeUnit.NANOSECONDS.sleep(started + TimeUnit.SECONDS.toNanos(tick) - System.nanoTime());
          long now = processed.sum();
          long bad =
              (long)
                  meters.find("sluice.source.bad.records").counters().stream()
                      .mapToDouble(Counter::count)
                      .sum();
          long age =
              app.lastCompletedCheckpointAtMillis() == 0
                  ? -1
                  : System.currentTimeMillis() - app.lastCompletedCheckpointAtMillis();
          System.out.printf(
              "etl: %4.0f s  sent %,9d  processed %,9d  %,7d rec/s  dead-letters %,5d  slot groups"
                  + " %d  markers %s  checkpoint #%d (%d ms ago)%n",
              (System.nanoTime() - started) / 1e9,
              generator.sent(),
              now,
              now - last,
              bad,
              app.slotGroups().size(),
              markers(),
              app.lastCompletedCheckpoint(),
              age);
          last = now;
          if (generator.failure() != null) {
            return false;
          }
          if (generator.done() && backlog(admin) == 0) {
            return true;
          }
          if (System.nanoTime() - started > timeout.toNanos()) {
            System.out.println("etl: not done within " + timeout);
            return false;
          }
        }
        return false;
      }

      private String markers() {
        if (base.getScheme() != null && !base.getScheme().equals("file")) {
          return "-";
        }
        try (FileSystem fs = fileSystem()) {
          return Long.toString(EtlCheck.countMarkers(fs, new org.apache.hadoop.fs.Path(base)));
        } catch (java.io.IOException e) {
          return "?";
        }
      }

      private long backlog(PulsarAdmin admin) throws Exception {
        List<CompletableFuture<? extends TopicStats>> stats = new ArrayList<>();
        for (int t = 0; t < layout.topics(); t++) {
          stats.add(admin.topics().getStatsAsync(layout.topic(t)));
        }
        long sum = 0;
        for (CompletableFuture<? extends TopicStats> s : stats) {
          SubscriptionStats sub =
              s.get(1, TimeUnit.MINUTES).getSubscriptions().get("etl-" + layout.run());
          sum += sub == null ? Long.MAX_VALUE / 1024 : sub.getMsgBacklog();
        }
        return sum;
      }
    }

    private static Thread stopOnSignal(AtomicBoolean stop, CountDownLatch finished) {
      Thread hook =
          new Thread(
              () -> {
                stop.set(true);
                try {
                  finished.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      return hook;
    }

    private static void removeHook(Thread hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down (Ctrl-C)
      }
    }
  }
}
