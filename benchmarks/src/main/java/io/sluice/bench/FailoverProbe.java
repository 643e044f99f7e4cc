package io.sluice.bench;

import static io.sluice.bench.ProbeSupport.*;

import io.sluice.testkit.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.ConsumerEventListener;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * A probe, not a Sluice feature: how a Pulsar {@link SubscriptionType#Failover} subscription hands
 * partitions to the consumers of several app instances, as Sluice's ownership design would use it:
 * per partition, a consumer on the {@code …-partition-N} topic with {@code receiverQueueSize(0)}
 * that never receives, only listens ({@link ConsumerEventListener}) and commits with {@code
 * acknowledgeCumulative}. Each "instance" is its own PulsarClient; the crash cases run the holder
 * in a child JVM (SIGKILL, SIGSTOP/SIGCONT).
 *
 * <p>Phases: assignment with 2, 3 and 4 instances over 16 partitions and a reconnect; priority
 * levels; a third instance joining (event times from both sides, one clock); failover after a
 * graceful close, a SIGKILL and a SIGSTOP of the active holder; cumulative acks from an inactive
 * consumer and from a paused one. Prints {@code RESULT failover-probe …}; docs/pulsar-failover.md
 * has what it showed.
 *
 * <p>Arguments: {@code [runs=10] [stopRuns=2]}.
 */
public final class FailoverProbe {
  private static final long T0 = System.nanoTime();
  private static final int PARTITIONS = 16;
  private static final String NS = "persistent://public/default/";

  private FailoverProbe() {}

  static double nowMs() {
    return (System.nanoTime() - T0) / 1e6;
  }

  /** One listener event: when, which instance, which partition, became active or inactive. */
  record Event(double ms, String inst, int partition, boolean active) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      FailoverProbeChild.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int stopRuns = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Map<String, String> result = new java.util.LinkedHashMap<>();
    try (BenchEnv env = new BenchEnv("failover")) {
      String url = env.serviceUrl;
      PulsarAdmin admin = env.admin;
      List<String> dynamic = admin.brokers().getDynamicConfigurationNames();
      System.out.println(
          "broker dynamic settings of interest: "
              + dynamic.stream()
                  .filter(n -> n.contains("ailover") || n.contains("eepAlive"))
                  .toList()
              + " (of "
              + dynamic.size()
              + ")");
      System.out.println(
          "broker settings in force: "
              + admin.brokers().getRuntimeConfigurations().entrySet().stream()
                  .filter(e -> e.getKey().contains("ailover") || e.getKey().contains("eepAlive"))
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .sorted()
                  .toList());
      admin.topics().createPartitionedTopic(NS + "assign", PARTITIONS);

      assignment(url, result);
      priority(url, result);
      join(url, result);
      closeFailover(url, admin, runs, result);
      killFailover(url, runs, result);
      inactiveAck(url, admin, env, result);
      pausedAck(url, admin, env, result);
      stopFailover(url, admin, env, stopRuns, result);
    }
    StringBuilder line = new StringBuilder("RESULT failover-probe");
    result.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
  }

  // ---- 1, 5, 6: which consumer is active for which partition ----

  private static void assignment(String url, Map<String, String> result) throws Exception {
    // joined in an order that is not the names' order, to tell join order from name order
    List<String> joinOrder = List.of("inst-c", "inst-a", "inst-d", "inst-b");
    boolean ruleHolds = true;
    for (int n = 2; n <= 4; n++) {
      ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
      List<Inst> insts = new ArrayList<>();
      for (String name : joinOrder.subList(0, n)) {
        Inst inst = new Inst(url, name, events);
        insts.add(inst);
        for (int p = 0; p < PARTITIONS; p++) {
          inst.subscribe("assign", "sub-n" + n, p, 0);
        }
      }
      Map<Integer, String> owners = awaitStable(insts, "assign", events);
      List<String> sorted = joinOrder.subList(0, n).stream().sorted().toList();
      boolean holds = true;
      for (int p = 0; p < PARTITIONS; p++) {
        holds &= sorted.get(p % n).equals(owners.get(p));
      }
      ruleHolds &= holds;
      System.out.printf(
          "assignment n=%d joined %s: %s counts %s; partition p -> sorted(names)[p %% n]: %s%n",
          n, joinOrder.subList(0, n), owners, counts(owners), holds);
      if (n == 3) {
        // inst-a leaves and comes back (a restart under the same name)
        Inst a = insts.stream().filter(i -> i.name.equals("inst-a")).findFirst().orElseThrow();
        a.close();
        insts.remove(a);
        Map<Integer, String> without = awaitStable(insts, "assign", events);
        System.out.printf("  inst-a closed: %s counts %s%n", without, counts(without));
        Inst again = new Inst(url, "inst-a", events);
        insts.add(again);
        for (int p = 0; p < PARTITIONS; p++) {
          again.subscribe("assign", "sub-n3", p, 0);
        }
        Map<Integer, String> back = awaitStable(insts, "assign", events);
        System.out.printf(
            "  inst-a back: %s same as before: %s%n", counts(back), back.equals(owners));
        result.put("rejoin_same_assignment", Boolean.toString(back.equals(owners)));
        // the same instance with a new client name (as a random default name would do)
        again.close();
        insts.remove(again);
        Inst renamed = new Inst(url, "inst-e", events);
        insts.add(renamed);
        for (int p = 0; p < PARTITIONS; p++) {
          renamed.subscribe("assign", "sub-n3", p, 0);
        }
        Map<Integer, String> re = awaitStable(insts, "assign", events);
        int moved = 0;
        for (int p = 0; p < PARTITIONS; p++) {
          String before = owners.get(p).equals("inst-a") ? "inst-e" : owners.get(p);
          moved += before.equals(re.get(p)) ? 0 : 1;
        }
        System.out.printf(
            "  inst-a back as inst-e: %s counts %s; partitions whose holder changed: %d%n",
            re, counts(re), moved);
        result.put("rename_moves", Integer.toString(moved));
      }
      for (Inst i : insts) {
        i.close();
      }
    }
    result.put("assignment_rule_sorted_name_mod_n", Boolean.toString(ruleHolds));
  }

  private static void priority(String url, Map<String, String> result) throws Exception {
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    List<Inst> insts = new ArrayList<>();
    // priorityLevel: 0 is the highest
    String[][] setup = {{"inst-a", "1"}, {"inst-b", "0"}, {"inst-c", "0"}};
    for (String[] s : setup) {
      Inst inst = new Inst(url, s[0], events);
      insts.add(inst);
      for (int p = 0; p < PARTITIONS; p++) {
        inst.subscribe("assign", "sub-prio", p, Integer.parseInt(s[1]));
      }
    }
    Map<Integer, String> owners = awaitStable(insts, "assign", events);
    System.out.printf("priority a=1 b=0 c=0: %s counts %s%n", owners, counts(owners));
    result.put("priority_counts", counts(owners).toString().replace(" ", ""));
    for (Inst i : insts) {
      i.close();
    }
  }

  // ---- 3: a third instance joins ----

  private static void join(String url, Map<String, String> result) throws Exception {
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    List<Inst> insts = new ArrayList<>();
    for (String name : List.of("inst-a", "inst-b")) {
      Inst inst = new Inst(url, name, events);
      insts.add(inst);
      for (int p = 0; p < PARTITIONS; p++) {
        inst.subscribe("assign", "sub-join", p, 0);
      }
    }
    Map<Integer, String> before = awaitStable(insts, "assign", events);
    double maxBoth = Double.NEGATIVE_INFINITY;
    double minGap = Double.POSITIVE_INFINITY;
    int inactiveFirst = 0;
    int movedTotal = 0;
    List<Double> handover = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      events.clear();
      double t = nowMs();
      Inst c = new Inst(url, "inst-c", events);
      insts.add(c);
      for (int p = 0; p < PARTITIONS; p++) {
        c.subscribe("assign", "sub-join", p, 0);
      }
      double subscribed = nowMs();
      Map<Integer, String> after = awaitStable(insts, "assign", events);
      List<Integer> moved = new ArrayList<>();
      StringBuilder detail = new StringBuilder();
      for (int p = 0; p < PARTITIONS; p++) {
        if (before.get(p).equals(after.get(p))) {
          continue;
        }
        moved.add(p);
        final int part = p;
        String oldOwner = before.get(p);
        String newOwner = after.get(p);
        double off =
            events.stream()
                .filter(e -> e.partition() == part && e.inst().equals(oldOwner) && !e.active())
                .mapToDouble(Event::ms)
                .min()
                .orElse(Double.NaN);
        double on =
            events.stream()
                .filter(e -> e.partition() == part && e.inst().equals(newOwner) && e.active())
                .mapToDouble(Event::ms)
                .min()
                .orElse(Double.NaN);
        // > 0: the new holder heard "active" before the old one heard "inactive"
        double both = off - on;
        maxBoth = Math.max(maxBoth, both);
        minGap = Math.min(minGap, both);
        inactiveFirst += off <= on ? 1 : 0;
        handover.add(on - t);
        detail.append(
            String.format(" p%d %s->%s off=%.1f on=%.1f;", p, oldOwner, newOwner, off - t, on - t));
      }
      movedTotal += moved.size();
      System.out.printf(
          "join round %d: inst-c subscribed 16 in %.0f ms; moved %d %s; counts %s%n ",
          round, subscribed - t, moved.size(), moved, counts(after));
      System.out.println("  (ms after the first subscribe)" + detail);
      // inst-c leaves again: its partitions go back
      events.clear();
      double tl = nowMs();
      c.close();
      insts.remove(c);
      Map<Integer, String> back = awaitStable(insts, "assign", events);
      double lastOn =
          events.stream().filter(Event::active).mapToDouble(Event::ms).max().orElse(Double.NaN);
      System.out.printf(
          "  inst-c closed: all back %s, last becameActive %.0f ms after close()%n",
          back.equals(before), lastOn - tl);
    }
    for (Inst i : insts) {
      i.close();
    }
    System.out.printf(
        "join: %d moves in 3 rounds; old holder told inactive first in %d; (inactive - active)"
            + " ms: max %.1f min %.1f; new holder active after %s ms%n",
        movedTotal, inactiveFirst, maxBoth, minGap, summary(handover));
    result.put("join_moved_2to3", Integer.toString(movedTotal / 3));
    result.put("join_inactive_first", inactiveFirst + "/" + movedTotal);
    result.put("both_active_max_ms", String.format("%.1f", Math.max(0, maxBoth)));
    result.put("join_handover_p50_ms", String.format("%.0f", percentile(handover, 50)));
  }

  // ---- 2: failover after close(), SIGKILL, SIGSTOP ----

  private static void closeFailover(
      String url, PulsarAdmin admin, int runs, Map<String, String> result) throws Exception {
    admin.topics().createPartitionedTopic(NS + "fo", 1);
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    List<Double> delays = new ArrayList<>();
    List<Double> back = new ArrayList<>();
    try (Inst a = new Inst(url, "a", events);
        Inst b = new Inst(url, "b", events)) {
      double t = nowMs();
      a.subscribe("fo", "sub", 0, 0);
      awaitTrue(() -> a.isActive("fo", 0), 30_000);
      double first = nowMs() - t;
      b.subscribe("fo", "sub", 0, 0);
      Thread.sleep(1500);
      for (int r = 0; r < runs; r++) {
        double t0 = nowMs();
        a.closeConsumer("fo", 0);
        awaitTrue(() -> b.isActive("fo", 0), 30_000);
        delays.add(lastEvent(events, "b", true) - t0);
        // a comes back: it sorts first, so it takes the partition back
        double t1 = nowMs();
        a.subscribe("fo", "sub", 0, 0);
        awaitTrue(() -> a.isActive("fo", 0) && !b.isActive("fo", 0), 30_000);
        back.add(lastEvent(events, "a", true) - t1);
        Thread.sleep(300);
      }
      System.out.printf(
          "close: first consumer active %.0f ms after subscribe; close() -> other active: %s;"
              + " re-subscribe -> takes it back: %s%n",
          first, summary(delays), summary(back));
      result.put("first_active_ms", String.format("%.0f", first));
    }
    result.put("close_p50_ms", String.format("%.0f", percentile(delays, 50)));
    result.put("close_max_ms", String.format("%.0f", percentile(delays, 100)));
    result.put("rejoin_takeback_p50_ms", String.format("%.0f", percentile(back, 50)));
  }

  private static ChildJvm child(String url, String topic, String sub, String name, String... more) {
    List<String> args = new ArrayList<>(List.of("child", url, topic, sub, name));
    args.addAll(List.of(more));
    return ChildJvm.builder(FailoverProbe.class)
        .name("failover-child-" + name)
        .jvmArgs(
            "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
        .args(args)
        .start();
  }

  private static void killFailover(String url, int runs, Map<String, String> result)
      throws Exception {
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    List<Double> delays = new ArrayList<>();
    try (Inst b = new Inst(url, "b", events)) {
      b.subscribe("fo", "sub-kill", 0, 0);
      awaitTrue(() -> b.isActive("fo", 0), 30_000);
      for (int r = 0; r < runs; r++) {
        try (ChildJvm a = child(url, "fo", "sub-kill", "a")) {
          a.awaitLine(l -> l.startsWith("ACTIVE"), Duration.ofSeconds(60));
          awaitTrue(() -> !b.isActive("fo", 0), 30_000);
          Thread.sleep(500);
          double t0 = nowMs();
          a.kill();
          awaitTrue(() -> b.isActive("fo", 0), 120_000);
          delays.add(lastEvent(events, "b", true) - t0);
        }
      }
    }
    System.out.printf("SIGKILL of the active holder -> other active: %s%n", summary(delays));
    result.put("kill_p50_ms", String.format("%.0f", percentile(delays, 50)));
    result.put("kill_max_ms", String.format("%.0f", percentile(delays, 100)));
  }

  private static void stopFailover(
      String url, PulsarAdmin admin, BenchEnv env, int runs, Map<String, String> result)
      throws Exception {
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    List<Double> delays = new ArrayList<>();
    List<Boolean> moved = new ArrayList<>();
    String topic = "fo-stop";
    admin.topics().createPartitionedTopic(NS + topic, 1);
    for (int r = 0; r < runs; r++) {
      // a fresh subscription and clients per round: resetting the cursor instead would not do,
      // since a consumer does not send a cumulative ack again for an id it already acked
      String sub = "sub-" + r;
      try (Inst b = new Inst(url, "b", events)) {
        b.subscribe(topic, sub, 0, 0);
        awaitTrue(() -> b.isActive(topic, 0), 30_000);
        List<MessageId> ids = produce(env, topic, 10);
        // the child acks message 6 as soon as it wakes from SIGSTOP
        try (ChildJvm a = child(url, topic, sub, "a", FailoverProbeChild.encode(ids.get(6)))) {
          a.awaitLine(l -> l.startsWith("ACTIVE"), Duration.ofSeconds(60));
          awaitTrue(() -> !b.isActive(topic, 0), 30_000);
          Thread.sleep(500);
          double t0 = nowMs();
          signal(a.pid(), "STOP");
          awaitTrue(() -> b.isActive(topic, 0), 300_000);
          double took = lastEvent(events, "b", true) - t0;
          delays.add(took);
          // the new holder commits message 3; then the old one wakes and acks message 6
          b.consumers.get(topic + "#0").acknowledgeCumulative(ids.get(3));
          Thread.sleep(1000);
          String mdBefore = markDelete(admin, topic, sub);
          signal(a.pid(), "CONT");
          String woke = a.awaitLine(l -> l.startsWith("WOKE"), Duration.ofSeconds(30));
          Thread.sleep(3000);
          String mdAfter = markDelete(admin, topic, sub);
          System.out.printf(
              "SIGSTOP of the holder -> other active after %.0f ms; cursor %s after the new"
                  + " holder's ack of #3 (%s), %s after the woken one's ack of #6 (%s): %s;"
                  + " child after wake: %s; b active now %s%n",
              took,
              mdBefore,
              pos(ids.get(3)),
              mdAfter,
              pos(ids.get(6)),
              woke,
              a.readLine(Duration.ofSeconds(2)),
              b.isActive(topic, 0));
          moved.add(mdAfter.equals(pos(ids.get(6))));
        }
      }
    }
    result.put(
        "stale_ack_after_stop_moves_cursor",
        String.join("/", moved.stream().map(String::valueOf).toList()));
    result.put(
        "stop_takeover_ms",
        String.join("/", delays.stream().map(v -> String.format("%.0f", v)).toList()));
  }

  // ---- 4: acks from a consumer that is not the active one ----

  private static void inactiveAck(
      String url, PulsarAdmin admin, BenchEnv env, Map<String, String> result) throws Exception {
    String topic = "ack";
    admin.topics().createPartitionedTopic(NS + topic, 1);
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    try (Inst a = new Inst(url, "a", events);
        Inst b = new Inst(url, "b", events)) {
      Consumer<byte[]> ca = a.subscribe(topic, "sub", 0, 0);
      Consumer<byte[]> cb = b.subscribe(topic, "sub", 0, 0);
      awaitTrue(() -> a.isActive(topic, 0), 30_000);
      Thread.sleep(1500);
      List<MessageId> ids = produce(env, topic, 10);
      String start = markDelete(admin, topic, "sub");
      String error = "none";
      try {
        cb.acknowledgeCumulative(ids.get(5));
      } catch (Exception e) {
        error = e.toString();
      }
      Thread.sleep(1500);
      String afterInactive = markDelete(admin, topic, "sub");
      ca.acknowledgeCumulative(ids.get(2));
      Thread.sleep(1500);
      String afterBackwards = markDelete(admin, topic, "sub");
      System.out.printf(
          "ack: a active=%s b active=%s; cursor %s; inactive b acks #5 (%s, error %s) -> %s;"
              + " active a then acks #2 (%s) -> %s%n",
          a.isActive(topic, 0),
          b.isActive(topic, 0),
          start,
          pos(ids.get(5)),
          error,
          afterInactive,
          pos(ids.get(2)),
          afterBackwards);
      result.put("inactive_ack_moves_cursor", Boolean.toString(!afterInactive.equals(start)));
      result.put(
          "active_ack_behind_moves_back", Boolean.toString(!afterBackwards.equals(afterInactive)));
    }
  }

  /** A holder paused (SIGSTOP) for less than the keepalive while another instance takes over. */
  private static void pausedAck(
      String url, PulsarAdmin admin, BenchEnv env, Map<String, String> result) throws Exception {
    String topic = "ack-pause";
    admin.topics().createPartitionedTopic(NS + topic, 1);
    ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    // the child "b" holds the partition alone; it writes nothing, so it needs the ids
    try (Inst b0 = new Inst(url, "zz-probe", events)) {
      b0.subscribe(topic, "sub", 0, 0); // creates the subscription before the messages
      b0.closeConsumer(topic, 0);
    }
    List<MessageId> ids = produce(env, topic, 10);
    try (ChildJvm b = child(url, topic, "sub", "b", FailoverProbeChild.encode(ids.get(6)));
        Inst a = new Inst(url, "a", events)) {
      b.awaitLine(l -> l.startsWith("ACTIVE"), Duration.ofSeconds(60));
      signal(b.pid(), "STOP");
      double t0 = nowMs();
      Consumer<byte[]> ca = a.subscribe(topic, "sub", 0, 0); // "a" sorts first: takes over
      awaitTrue(() -> a.isActive(topic, 0), 30_000);
      double took = lastEvent(events, "a", true) - t0;
      ca.acknowledgeCumulative(ids.get(3));
      Thread.sleep(1500);
      String mdBefore = markDelete(admin, topic, "sub");
      signal(b.pid(), "CONT");
      String woke = b.awaitLine(l -> l.startsWith("WOKE"), Duration.ofSeconds(30));
      Thread.sleep(3000);
      String mdAfter = markDelete(admin, topic, "sub");
      System.out.printf(
          "paused holder: new holder active %.0f ms after subscribing; its ack #3 -> cursor %s;"
              + " paused one wakes (%s), acks #6 (%s) -> cursor %s; next child line: %s%n",
          took, mdBefore, woke, pos(ids.get(6)), mdAfter, b.readLine(Duration.ofSeconds(2)));
      result.put("paused_ack_moves_cursor", Boolean.toString(mdAfter.equals(pos(ids.get(6)))));
    }
  }

  // ---- helpers ----

  private static double lastEvent(ConcurrentLinkedQueue<Event> events, String inst, boolean on) {
    return events.stream()
        .filter(e -> e.inst().equals(inst) && e.active() == on)
        .mapToDouble(Event::ms)
        .max()
        .orElse(Double.NaN);
  }

  private static void awaitTrue(BooleanSupplier condition, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("condition not met within " + timeoutMs + " ms");
      }
      Thread.sleep(2);
    }
  }

  /**
   * Waits until every partition has exactly one instance that believes it is active and no event
   * came for 2.5 s (longer than the broker's 1 s failover delay); returns partition -> instance.
   */
  private static Map<Integer, String> awaitStable(
      List<Inst> insts, String topic, ConcurrentLinkedQueue<Event> events) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Thread.sleep(200);
      Map<Integer, String> owners = new TreeMap<>();
      boolean ok = true;
      for (int p = 0; p < PARTITIONS; p++) {
        List<String> holders = new ArrayList<>();
        for (Inst i : insts) {
          if (i.isActive(topic, p)) {
            holders.add(i.name);
          }
        }
        ok &= holders.size() == 1;
        owners.put(p, holders.size() == 1 ? holders.get(0) : holders.toString());
      }
      double last = events.stream().mapToDouble(Event::ms).max().orElse(0);
      if (ok && nowMs() - last > 2500) {
        return owners;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no stable assignment within 60 s: " + owners);
      }
    }
  }

  private static Map<String, Integer> counts(Map<Integer, String> owners) {
    Map<String, Integer> c = new TreeMap<>();
    owners.values().forEach(o -> c.merge(o, 1, Integer::sum));
    return c;
  }
}
