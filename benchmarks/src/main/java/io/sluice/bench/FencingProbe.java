package io.sluice.bench;

import static io.sluice.bench.ProbeSupport.*;

import io.sluice.testkit.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * A probe, not a Sluice feature: the Pulsar primitives a zombie-proof partition hand-over could be
 * built on. (1) {@link ProducerAccessMode#ExclusiveWithFencing} against a producer with an open
 * transaction, in this JVM and in a SIGSTOPped child JVM ({@link FencingProbeChild}); {@code
 * WaitForExclusive}. (2) Transactional cumulative acks on a Failover subscription by idle consumers
 * ({@code receiverQueueSize(0)}, never receiving): when the cursor moves, conflicts with another
 * transaction's pending ack, acks from the inactive consumer. (3) A Reader behind an open
 * transaction of a fenced producer, and how fast an abort by id frees it. (4) Compaction of a topic
 * with aborted, committed and open transactions.
 *
 * <p>Every round uses its own topic or subscription and fresh producers/consumers. Prints {@code
 * RESULT fencing-probe …}; docs/pulsar-fencing.md has what it showed. Arguments: {@code [rounds=3]}
 * (repeats of the timed fence/abort rounds).
 */
public final class FencingProbe {
  private static final long T0 = System.nanoTime();
  private static final String NS = "persistent://public/default/";

  private final Map<String, String> result = new LinkedHashMap<>();
  private final PulsarAdmin admin;
  private final String url;
  private final PulsarClient clientA;
  private final PulsarClient clientB;
  private final PulsarClient clientC;

  private FencingProbe(BenchEnv env) throws Exception {
    this.admin = env.admin;
    this.url = env.serviceUrl;
    // three "instances": the old owner, the new owner and a bystander (a fresh client, as after a
    // restart)
    this.clientA = txnClient(url);
    this.clientB = txnClient(url);
    this.clientC = txnClient(url);
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      FencingProbeChild.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Map<String, String> result;
    try (BenchEnv env = new BenchEnv("fencing")) {
      System.out.println(
          "broker settings in force: "
              + env.admin.brokers().getRuntimeConfigurations().entrySet().stream()
                  .filter(
                      e ->
                          e.getKey().equals("transactionCoordinatorEnabled")
                              || e.getKey().startsWith("transactionBuffer")
                              || e.getKey().startsWith("transactionPendingAck")
                              || e.getKey().equals("brokerDeduplicationEnabled"))
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .sorted()
                  .toList());
      FencingProbe probe = new FencingProbe(env);
      result = probe.result;
      try {
        probe.run("q1 fence", () -> probe.fencing(rounds));
        probe.run("q1 waitForExclusive", probe::waitForExclusive);
        probe.run("q1 sigstop", probe::stoppedProducer);
        probe.run("q2 txn acks", probe::txnAcks);
        probe.run("q4 compaction", probe::compaction);
      } finally {
        probe.clientA.close();
        probe.clientB.close();
        probe.clientC.close();
      }
    }
    StringBuilder line = new StringBuilder("RESULT fencing-probe");
    result.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
  }

  interface Step {
    void run() throws Exception;
  }

  private void run(String name, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      System.out.println(name + " FAILED: " + e);
      e.printStackTrace(System.out);
      result.put(name.replace(' ', '_') + "_failed", errName(e));
    }
  }

  // ---- 1 + 3: ExclusiveWithFencing against a producer with an open transaction ----

  private void fencing(int rounds) throws Exception {
    // the old owner A is Exclusive and commits its transaction after the fence
    fenceRound("ex-commit", ProducerAccessMode.Exclusive, true, "commit");
    List<Double> unblock = new ArrayList<>();
    List<Double> createWithTxn = new ArrayList<>();
    List<Double> createNoTxn = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      // A is ExclusiveWithFencing; the new owner B aborts A's transaction by id
      double[] t =
          fenceRound("ewf-abort-" + r, ProducerAccessMode.ExclusiveWithFencing, true, "abort");
      createWithTxn.add(t[0]);
      unblock.add(t[1]);
      createNoTxn.add(
          fenceRound("ewf-notxn-" + r, ProducerAccessMode.ExclusiveWithFencing, false, "-")[0]);
    }
    System.out.printf(
        "fence: B's create with A's txn open %s; without a txn %s; reader unblocked after abort"
            + " by id: %s%n",
        summary(createWithTxn), summary(createNoTxn), summary(unblock));
    result.put("fence_create_txn_p50_ms", fmt(percentile(createWithTxn, 50)));
    result.put("fence_create_notxn_p50_ms", fmt(percentile(createNoTxn, 50)));
    result.put("unblock_after_abort_p50_ms", fmt(percentile(unblock, 50)));
    result.put("unblock_after_abort_max_ms", fmt(percentile(unblock, 100)));
  }

  /** Returns {B's create time in ms, the reader's wait after the abort by id in ms}. */
  private double[] fenceRound(String tag, ProducerAccessMode modeA, boolean withTxn, String end)
      throws Exception {
    String topic = NS + "fence-" + tag;
    boolean first = tag.equals("ex-commit") || tag.equals("ewf-notxn-0");
    Producer<String> a = producer(clientA, topic, modeA, "A");
    a.send("a0");
    Transaction txn = null;
    if (withTxn) {
      txn = txn(clientA);
      a.newMessage(txn).value("a-t0").send();
      a.newMessage(txn).value("a-t1").send();
    }
    if (first) {
      // Exclusive, WaitForExclusive-less: a second Exclusive producer is refused at once
      String exclusive =
          attempt(
              () ->
                  clientB
                      .newProducer(Schema.STRING)
                      .topic(topic)
                      .accessMode(ProducerAccessMode.Exclusive)
                      .createAsync());
      System.out.printf(
          "[%s] a second Exclusive producer while A (%s) is connected: %s%n",
          tag, modeA, exclusive);
      result.put("exclusive_vs_" + modeA, exclusive);
    }
    double t0 = nowMs();
    Producer<String> b = producer(clientB, topic, ProducerAccessMode.ExclusiveWithFencing, "B");
    double createMs = nowMs() - t0;
    // does A find out by itself (without sending) that it was fenced?
    boolean noticed =
        awaitQuietly(() -> !a.isConnected(), tag.equals("ewf-notxn-0") ? 15000 : 5000);
    double noticeMs = nowMs() - t0;
    double ts = nowMs();
    String sendAfter = attempt(() -> a.sendAsync("a1"));
    double sendMs = nowMs() - ts;
    final Transaction t = txn;
    // A transactional send that fails marks the transaction failed in the client, which then
    // refuses to commit it (TransactionHasOperationFailedException) without asking the broker: so
    // the open transaction is left alone here and a transactional send is tried in a new one.
    String txnSendAfter = "-";
    if (!withTxn) {
      Transaction fresh = txn(clientA);
      txnSendAfter = attempt(() -> a.newMessage(fresh).value("a-t9").sendAsync());
      fresh.abort();
    }
    for (int i = 0; i < 3; i++) {
      b.send("b" + i);
    }
    double unblockMs = Double.NaN;
    String endResult = "-";
    String aCommitAfterAbort = "-";
    List<String> blocked = List.of();
    List<String> after = List.of();
    if (withTxn) {
      try (Reader<String> reader = reader(clientC, topic, false)) {
        blocked = drain(reader, 2000);
        if (end.equals("commit")) {
          endResult = attempt(t::commit);
        } else {
          TxnID id = t.getTxnID();
          double ta = nowMs();
          endResult = attempt(() -> tc(clientB).abortAsync(id));
          double abortMs = nowMs() - ta;
          Message<String> m = reader.readNext(20, TimeUnit.SECONDS);
          unblockMs = nowMs() - ta;
          System.out.printf(
              "[%s] abort by id from B's client took %.0f ms; reader got %s %.0f ms after the"
                  + " abort call%n",
              tag, abortMs, m == null ? null : m.getValue(), unblockMs);
          after = new ArrayList<>();
          if (m != null) {
            after.add(m.getValue());
          }
          aCommitAfterAbort = attempt(t::commit);
        }
        List<String> rest = drain(reader, 2000);
        after = new ArrayList<>(after);
        after.addAll(rest);
      }
    }
    Thread.sleep(2000);
    String sendLater = attempt(() -> a.sendAsync("a3"));
    List<String> publishers =
        admin.topics().getStats(topic).getPublishers().stream()
            .map(p -> p.getProducerName())
            .toList();
    System.out.printf(
        "[%s] A=%s txn=%s: B (ExclusiveWithFencing) created in %.0f ms; A disconnected: %s"
            + " (%.0f ms); A send after fence: %s (%.0f ms); A txn send after fence: %s; reader (fresh"
            + " client) while A's txn open: %s; end=%s -> %s; A commit after abort: %s; reader"
            + " after end: %s; 2 s later A connected=%s send=%s; publishers %s%n",
        tag,
        modeA,
        withTxn,
        createMs,
        noticed,
        noticeMs,
        sendAfter,
        sendMs,
        txnSendAfter,
        blocked,
        end,
        endResult,
        aCommitAfterAbort,
        after,
        a.isConnected(),
        sendLater,
        publishers);
    if (tag.equals("ex-commit")) {
      result.put("fenced_send", sendAfter);
      result.put("fenced_send_ms", fmt(sendMs));
      result.put(
          "fenced_reconnects", Boolean.toString(a.isConnected() || publishers.contains("A")));
      result.put("reader_blocked_at_txn", Boolean.toString(blocked.equals(List.of("a0"))));
      result.put("commit_after_fence", endResult);
      result.put(
          "commit_after_fence_visible",
          Boolean.toString(after.contains("a-t0") && after.contains("a-t1")));
    }
    if (tag.equals("ewf-abort-0")) {
      result.put("ewf_fenced_send", sendAfter);
      result.put("abort_by_new_owner", endResult);
      result.put("commit_after_abort", aCommitAfterAbort);
      result.put("aborted_visible", Boolean.toString(after.contains("a-t0")));
    }
    if (tag.equals("ewf-notxn-0")) {
      result.put("fenced_new_txn_send", txnSendAfter);
      result.put("fenced_is_connected_false_within_15s", Boolean.toString(noticed));
      // the fenced old owner restarts and fences again: does the new owner lose the topic?
      Producer<String> a2 = producer(clientA, topic, ProducerAccessMode.ExclusiveWithFencing, "A2");
      boolean bGone = awaitQuietly(() -> !b.isConnected(), 5000);
      String bSendAfter = attempt(() -> b.sendAsync("b-late"));
      System.out.printf(
          "[%s] A's client creates ExclusiveWithFencing again: B disconnected %s, B send %s%n",
          tag, bGone, bSendAfter);
      result.put("refence_by_old_owner_fences_new", Boolean.toString(!bSendAfter.equals("ok")));
      a2.closeAsync();
    }
    a.closeAsync();
    b.closeAsync();
    return new double[] {createMs, unblockMs};
  }

  private void waitForExclusive() throws Exception {
    String topic = NS + "wait";
    Producer<String> b = producer(clientB, topic, ProducerAccessMode.ExclusiveWithFencing, "B");
    CompletableFuture<Producer<String>> waiting =
        clientC
            .newProducer(Schema.STRING)
            .topic(topic)
            .producerName("C")
            .accessMode(ProducerAccessMode.WaitForExclusive)
            .sendTimeout(0, TimeUnit.SECONDS)
            .createAsync();
    Thread.sleep(2000);
    boolean pending = !waiting.isDone();
    double t0 = nowMs();
    b.close();
    Producer<String> c = waiting.get(30, TimeUnit.SECONDS);
    double granted = nowMs() - t0;
    // a fencer while the waiter holds the topic
    Producer<String> d = producer(clientA, topic, ProducerAccessMode.ExclusiveWithFencing, "D");
    d.send("d0");
    CompletableFuture<MessageId> late = c.sendAsync("c-after-fence");
    String cSend = attempt(() -> late);
    // the fenced waiter's send did not fail: is it published once D is gone?
    double td = nowMs();
    d.close();
    String lateSend = attempt(() -> late);
    double lateMs = nowMs() - td;
    List<String> seen;
    try (Reader<String> reader = reader(clientC, topic, false)) {
      seen = drain(reader, 1500);
    }
    System.out.printf(
        "WaitForExclusive: pending while B holds: %s; got the topic %.0f ms after B's close();"
            + " then fenced by ExclusiveWithFencing D: send %s; after D's close() that send %s"
            + " (%.0f ms); topic now %s%n",
        pending, granted, cSend, lateSend, lateMs, seen);
    result.put("waitfor_pending_while_held", Boolean.toString(pending));
    result.put("waitfor_granted_after_close_ms", fmt(granted));
    result.put("waitfor_holder_fenced_send", cSend);
    result.put("waitfor_fenced_send_after_fencer_left", lateSend);
    result.put("waitfor_fenced_send_published", Boolean.toString(seen.contains("c-after-fence")));
    c.closeAsync();
  }

  private void stoppedProducer() throws Exception {
    String topic = NS + "fence-stop";
    try (ChildJvm child =
        ChildJvm.builder(FencingProbe.class)
            .name("fencing-child")
            .jvmArgs(
                "-Xmx128m",
                "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .args("child", url, topic)
            .start()) {
      String ready = child.awaitLine(l -> l.startsWith("READY"), Duration.ofSeconds(90));
      signal(child.pid(), "STOP");
      double t0 = nowMs();
      Producer<String> b = producer(clientB, topic, ProducerAccessMode.ExclusiveWithFencing, "B");
      double createMs = nowMs() - t0;
      for (int i = 0; i < 3; i++) {
        b.send("b" + i);
      }
      List<String> blocked;
      try (Reader<String> reader = reader(clientC, topic, false)) {
        blocked = drain(reader, 1500);
      }
      Thread.sleep(500);
      signal(child.pid(), "CONT");
      String woke = child.awaitLine(l -> l.startsWith("WOKE"), Duration.ofSeconds(60));
      String later = child.awaitLine(l -> l.startsWith("LATER"), Duration.ofSeconds(60));
      List<String> after;
      try (Reader<String> reader = reader(clientC, topic, false)) {
        after = drain(reader, 2000);
      }
      String bSend = attempt(() -> b.sendAsync("b-after-wake"));
      System.out.printf(
          "SIGSTOP: child %s; B fenced it while stopped in %.0f ms; reader while the child's txn"
              + " open: %s; after SIGCONT: %s; %s; reader then: %s; B send after: %s%n",
          ready, createMs, blocked, woke, later, after, bSend);
      result.put("stopped_fence_create_ms", fmt(createMs));
      result.put("stopped_commit", field(woke, "commit"));
      result.put("stopped_send", field(woke, "send"));
      result.put("stopped_later_send", field(later, "send"));
      result.put("stopped_txn_visible", Boolean.toString(after.contains("ct0")));
      b.closeAsync();
    }
  }

  // ---- 2: transactional cumulative acks on a Failover subscription ----

  private void txnAcks() throws Exception {
    String base = "txnack";
    admin.topics().createPartitionedTopic(NS + base, 1);
    String topic = NS + base + "-partition-0";
    List<MessageId> ids = new ArrayList<>();
    try (Producer<String> p =
        clientC.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
      for (int i = 0; i < 10; i++) {
        ids.add(p.send("m" + i));
      }
    }
    String p3 = pos(ids.get(3));
    String p5 = pos(ids.get(5));
    String p6 = pos(ids.get(6));

    // (0) does it work at all, and when does the cursor move?
    try (Idle a = new Idle(clientA, topic, "s-basic", "a");
        Idle b = new Idle(clientB, topic, "s-basic", "b")) {
      settle(a, b);
      String start = markDelete(admin, base, "s-basic");
      Transaction t1 = txn(clientA);
      double t0 = nowMs();
      String ack = attempt(() -> a.ack(ids.get(3), t1));
      double ackMs = nowMs() - t0;
      Thread.sleep(1000);
      String pending = markDelete(admin, base, "s-basic");
      t0 = nowMs();
      String commit = attempt(t1::commit);
      String committed = awaitMarkDelete(base, "s-basic", p3, 5000);
      double commitMs = nowMs() - t0;
      System.out.printf(
          "txn ack: a active=%s; a acks #3 (%s) in T1: %s in %.0f ms; cursor %s -> %s while T1"
              + " open; commit %s -> cursor %s (%.0f ms after commit call)%n",
          a.active, p3, ack, ackMs, start, pending, commit, committed, commitMs);
      result.put("txn_ack_qs0", ack);
      result.put("txn_ack_moves_before_commit", Boolean.toString(!pending.equals(start)));
      result.put("txn_ack_moves_on_commit", Boolean.toString(committed.equals(p3)));
    }

    // (a) a plain cumulative ack by the other consumer over T1's pending ack
    try (Idle a = new Idle(clientA, topic, "s-plain", "a");
        Idle b = new Idle(clientB, topic, "s-plain", "b")) {
      settle(a, b);
      Transaction t1 = txn(clientA);
      String ack1 = attempt(() -> a.ack(ids.get(3), t1));
      String plain = attempt(() -> b.ack(ids.get(6), null));
      Thread.sleep(1000);
      String md = markDelete(admin, base, "s-plain");
      String abort = attempt(() -> tc(clientC).abortAsync(t1.getTxnID()));
      Thread.sleep(1000);
      String mdAbort = markDelete(admin, base, "s-plain");
      String plainAgain = attempt(() -> b.ack(ids.get(6), null));
      String mdAgain = awaitMarkDelete(base, "s-plain", p6, 3000);
      System.out.printf(
          "over a pending txn ack: T1(a) acks #3 %s; plain ack by b of #6 (%s): %s -> cursor %s;"
              + " T1 aborted by id %s -> cursor %s; plain ack #6 again %s -> cursor %s%n",
          ack1, p6, plain, md, abort, mdAbort, plainAgain, mdAgain);
      result.put("plain_ack_over_pending", plain);
      result.put("plain_ack_over_pending_moves", Boolean.toString(md.equals(p6)));
      result.put("plain_ack_after_abort_moves", Boolean.toString(mdAgain.equals(p6)));
    }

    // (b) a transactional cumulative ack by the other consumer over T1's pending ack
    try (Idle a = new Idle(clientA, topic, "s-txn", "a");
        Idle b = new Idle(clientB, topic, "s-txn", "b")) {
      settle(a, b);
      Transaction t1 = txn(clientA);
      String ack1 = attempt(() -> a.ack(ids.get(3), t1));
      Transaction t2 = txn(clientB);
      String ack2 = attempt(() -> b.ack(ids.get(6), t2));
      String md = markDelete(admin, base, "s-txn");
      double t0 = nowMs();
      String abort = attempt(() -> tc(clientC).abortAsync(t1.getTxnID()));
      double abortMs = nowMs() - t0;
      String retry = attempt(() -> b.ack(ids.get(6), t2));
      String commit2 = attempt(t2::commit);
      String retryNew = "-";
      String commit3 = "-";
      if (!commit2.equals("ok")) {
        Transaction t3 = txn(clientB);
        retryNew = attempt(() -> b.ack(ids.get(6), t3));
        commit3 = attempt(t3::commit);
      }
      String mdEnd = awaitMarkDelete(base, "s-txn", p6, 5000);
      String commitA = attempt(t1::commit);
      System.out.printf(
          "txn over txn: T1(a) acks #3 %s; T2(b) acks #6: %s (T2 %s) cursor %s; T1 aborted by id"
              + " from a third client %s in %.0f ms; b retries #6 in T2: %s, commit T2 %s; in a"
              + " new T3: %s, commit %s -> cursor %s; a commits T1 afterwards: %s%n",
          ack1,
          ack2,
          t2.getState(),
          md,
          abort,
          abortMs,
          retry,
          commit2,
          retryNew,
          commit3,
          mdEnd,
          commitA);
      result.put("txn_ack_over_pending", ack2);
      result.put("txn_ack_retry_after_abort", retry + "/" + commit2);
      result.put("txn_ack_retry_new_txn", retryNew + "/" + commit3);
      result.put("txn_ack_retry_moves", Boolean.toString(mdEnd.equals(p6)));
    }

    // (c) the inactive consumer's transactional ack
    try (Idle a = new Idle(clientA, topic, "s-inactive", "a");
        Idle b = new Idle(clientB, topic, "s-inactive", "b")) {
      settle(a, b);
      Transaction t = txn(clientB);
      String ack = attempt(() -> b.ack(ids.get(5), t));
      String commit = attempt(t::commit);
      String md = awaitMarkDelete(base, "s-inactive", p5, 5000);
      // the active one then acks behind the cursor in a transaction
      Transaction tb = txn(clientA);
      String behind = attempt(() -> a.ack(ids.get(2), tb));
      String behindCommit = attempt(tb::commit);
      Thread.sleep(500);
      String md2 = markDelete(admin, base, "s-inactive");
      System.out.printf(
          "inactive txn ack: a active=%s b active=%s; b acks #5 (%s) in T: %s, commit %s ->"
              + " cursor %s; a acks #2 behind it in a txn: %s, commit %s -> cursor %s%n",
          a.active, b.active, p5, ack, commit, md, behind, behindCommit, md2);
      result.put("inactive_txn_ack", ack + "/" + commit);
      result.put("inactive_txn_ack_moves_cursor", Boolean.toString(md.equals(p5)));
      result.put("txn_ack_behind_cursor", behind + "/" + behindCommit);
    }
  }

  private String awaitMarkDelete(String base, String sub, String expected, long ms)
      throws Exception {
    long deadline = System.nanoTime() + ms * 1_000_000;
    String md = markDelete(admin, base, sub);
    while (!md.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      md = markDelete(admin, base, sub);
    }
    return md;
  }

  // ---- 4: compaction and transactions ----

  private void compaction() throws Exception {
    String topic = NS + "compact";
    List<String> viewOpen;
    List<String> plainOpen;
    List<String> viewAfter;
    String s1;
    String s2;
    try (Producer<String> p =
        clientA
            .newProducer(Schema.STRING)
            .topic(topic)
            .sendTimeout(0, TimeUnit.SECONDS)
            .enableBatching(false)
            .create()) {
      keyed(p, null, "k1", "p1");
      keyed(p, null, "k2", "p1");
      keyed(p, null, "k3", "p1");
      Transaction aborted = txn(clientA);
      keyed(p, aborted, "k1", "aborted");
      keyed(p, aborted, "k4", "aborted");
      aborted.abort().get(10, TimeUnit.SECONDS);
      Transaction committed = txn(clientA);
      keyed(p, committed, "k2", "committed");
      committed.commit().get(10, TimeUnit.SECONDS);
      keyed(p, null, "k3", "p2");
      Transaction open = txn(clientA);
      keyed(p, open, "k1", "open");
      keyed(p, open, "k5", "open");
      keyed(p, null, "k6", "p3");
      s1 = compact(admin, topic);
      try (Reader<String> r = reader(clientC, topic, true)) {
        viewOpen = drain(r, 2000);
      }
      try (Reader<String> r = reader(clientC, topic, false)) {
        plainOpen = drain(r, 1500);
      }
      tc(clientB).abort(open.getTxnID());
      s2 = compact(admin, topic);
      try (Reader<String> r = reader(clientC, topic, true)) {
        viewAfter = drain(r, 2000);
      }
    }
    System.out.printf(
        "compaction: sent k1..k3=p1, T_aborted{k1,k4}, T_committed{k2}, k3=p2, T_open{k1,k5},"
            + " k6=p3; compaction %s; compacted reader: %s; plain reader: %s; after aborting"
            + " T_open by id, compaction %s; compacted reader: %s%n",
        s1, viewOpen, plainOpen, s2, viewAfter);
    result.put(
        "compact_excludes_aborted",
        Boolean.toString(viewOpen.stream().noneMatch(v -> v.endsWith("=aborted"))));
    result.put("compact_has_committed", Boolean.toString(viewOpen.contains("k2=committed")));
    result.put(
        "compact_shows_open",
        Boolean.toString(viewOpen.stream().anyMatch(v -> v.endsWith("=open"))));
    result.put("compact_past_open_txn", Boolean.toString(viewOpen.contains("k6=p3")));
    result.put(
        "compact_after_abort_ok",
        Boolean.toString(
            viewAfter.contains("k6=p3")
                && viewAfter.stream()
                    .noneMatch(v -> v.endsWith("=open") || v.endsWith("aborted"))));
  }

  // ---- helpers ----

  static double nowMs() {
    return (System.nanoTime() - T0) / 1e6;
  }
}
