package io.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pulsar.client.admin.LongRunningProcessStatus;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.impl.PulsarClientImpl;

/** Helpers the Pulsar behaviour probes share: clients, transactions, waits, summaries. */
final class ProbeSupport {
  private static final String NS = "persistent://public/default/";

  private ProbeSupport() {}

  static List<MessageId> produce(BenchEnv env, String topic, int n) throws Exception {
    List<MessageId> ids = new ArrayList<>();
    try (Producer<byte[]> p =
        env.client
            .newProducer(Schema.BYTES)
            .topic(NS + topic + "-partition-0")
            .enableBatching(false)
            .create()) {
      for (int i = 0; i < n; i++) {
        ids.add(p.send(("m" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
    }
    return ids;
  }

  static String pos(MessageId id) {
    MessageIdAdv adv = (MessageIdAdv) id;
    return adv.getLedgerId() + ":" + adv.getEntryId();
  }

  static String markDelete(PulsarAdmin admin, String topic, String sub) throws Exception {
    return admin
        .topics()
        .getInternalStats(NS + topic + "-partition-0")
        .cursors
        .get(sub)
        .markDeletePosition;
  }

  static void signal(long pid, String sig) throws Exception {
    int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " exited " + rc);
    }
  }

  static double percentile(List<Double> values, int p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] s = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, i))];
  }

  static String summary(List<Double> values) {
    return String.format(
        "n=%d p50=%.0f max=%.0f min=%.0f all=%s",
        values.size(),
        percentile(values, 50),
        percentile(values, 100),
        percentile(values, 0),
        values.stream().map(v -> String.format("%.0f", v)).toList());
  }

  static String fmt(double v) {
    return String.format("%.0f", v);
  }

  @SuppressWarnings("deprecation") // statsInterval: deprecated for OpenTelemetry, still honoured
  static PulsarClient txnClient(String url) throws Exception {
    return PulsarClient.builder()
        .serviceUrl(url)
        .enableTransaction(true)
        .statsInterval(0, TimeUnit.SECONDS)
        .build();
  }

  /** The client's transaction coordinator client (internal API). */
  static org.apache.pulsar.client.impl.transaction.TransactionCoordinatorClientImpl tc(
      PulsarClient client) {
    return ((PulsarClientImpl) client).getTcClient();
  }

  static Transaction txn(PulsarClient client) throws Exception {
    return client
        .newTransaction()
        .withTransactionTimeout(3, TimeUnit.MINUTES)
        .build()
        .get(10, TimeUnit.SECONDS);
  }

  static Producer<String> producer(
      PulsarClient client, String topic, ProducerAccessMode mode, String name) throws Exception {
    return client
        .newProducer(Schema.STRING)
        .topic(topic)
        .producerName(name)
        .accessMode(mode)
        .sendTimeout(0, TimeUnit.SECONDS) // required for transactional sends
        .enableBatching(false)
        .create();
  }

  static Reader<String> reader(PulsarClient client, String topic, boolean compacted)
      throws Exception {
    return client
        .newReader(Schema.STRING)
        .topic(topic)
        .startMessageId(MessageId.earliest)
        .readCompacted(compacted)
        .create();
  }

  /** Reads until nothing comes for {@code quietMs}; values, or "key=value" for keyed messages. */
  static List<String> drain(Reader<String> reader, long quietMs) throws Exception {
    List<String> seen = new ArrayList<>();
    while (true) {
      Message<String> m = reader.readNext((int) quietMs, TimeUnit.MILLISECONDS);
      if (m == null) {
        return seen;
      }
      seen.add(m.hasKey() ? m.getKey() + "=" + m.getValue() : m.getValue());
    }
  }

  /** Runs an async operation for up to 10 s: "ok", "timeout10s" or the error's class name. */
  static String attempt(Callable<? extends CompletableFuture<?>> op) {
    try {
      op.call().get(10, TimeUnit.SECONDS);
      return "ok";
    } catch (java.util.concurrent.TimeoutException e) {
      return "timeout10s";
    } catch (Exception e) {
      Throwable cause = unwrap(e);
      System.out.println("    (" + cause.getClass().getName() + ": " + firstLine(cause) + ")");
      return cause.getClass().getSimpleName();
    }
  }

  static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    return line.substring(0, Math.min(line.length(), 300));
  }

  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String errName(Throwable e) {
    return unwrap(e).getClass().getSimpleName();
  }

  static String field(String line, String key) {
    for (String part : line.split(" ")) {
      if (part.startsWith(key + "=")) {
        return part.substring(key.length() + 1);
      }
    }
    return "?";
  }

  static boolean awaitQuietly(BooleanSupplier condition, long timeoutMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  /** Waits until a is active and b is not, then lets the listeners settle. */
  static void settle(Idle a, Idle b) throws Exception {
    if (!awaitQuietly(() -> a.active && !b.active, 30_000)) {
      System.out.println("  (a did not become the only active consumer within 30 s)");
    }
    Thread.sleep(300);
  }

  static void keyed(Producer<String> p, Transaction txn, String key, String value)
      throws Exception {
    (txn == null ? p.newMessage() : p.newMessage(txn)).key(key).value(value).send();
  }

  /** Triggers compaction and waits for it; returns "STATUS_in_Nms". */
  static String compact(PulsarAdmin admin, String topic) throws Exception {
    long t0 = System.nanoTime();
    admin.topics().triggerCompaction(topic);
    LongRunningProcessStatus status = admin.topics().compactionStatus(topic);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (status.status == LongRunningProcessStatus.Status.RUNNING
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
      status = admin.topics().compactionStatus(topic);
    }
    return status.status
        + (status.lastError == null || status.lastError.isEmpty()
            ? ""
            : "(" + status.lastError + ")")
        + "_in_"
        + fmt((System.nanoTime() - t0) / 1e6)
        + "ms";
  }
}
