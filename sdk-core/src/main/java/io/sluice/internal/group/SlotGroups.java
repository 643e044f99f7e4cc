package io.sluice.internal.group;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.SluiceException;
import io.sluice.internal.AppSettings;
import io.sluice.internal.Partitions;
import io.sluice.internal.Threads;
import io.sluice.internal.graph.JobGraph;
import io.sluice.metrics.Metric;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's slot groups: {@code default}, one per declared group, and the automatic ones of the
 * current plan; which group each topic feeds; and their replacement when automatic groups are
 * re-planned (see {@code Regrouper}).
 *
 * <p>State namespaces: declared groups keep their keyed state in a namespace of their own;
 * automatic groups (and {@code default} beside them) share one namespace and scope state by topic,
 * so a topic keeps its state when a re-plan moves it to another group.
 *
 * <p>Thread ownership: groups are replaced only on the checkpoint thread while the fetchers are
 * paused; the router ({@link #groupOf}), the ticker and {@link #assignment} read concurrently.
 */
public final class SlotGroups {
  private static final Logger LOG = LoggerFactory.getLogger(SlotGroups.class);
  private static final byte[] AUTO_NAMESPACE = "\0auto\0".getBytes(StandardCharsets.UTF_8);

  private final AppSettings settings;
  private final JobGraph graph;
  private final StateStore store;
  private final BiFunction<Sink<?>, Integer, SinkContext> sinkContexts;
  private final Consumer<Throwable> onFailure;
  private final MeterRegistry meters;
  private final List<ProcessingGroup> groups = new CopyOnWriteArrayList<>();
  private final List<String> names = new CopyOnWriteArrayList<>();
  private final Map<String, String> groupOfTopic = new ConcurrentHashMap<>();
  private final Map<String, Double> load = new ConcurrentHashMap<>();

  public SlotGroups(
      AppSettings settings,
      JobGraph graph,
      StateStore store,
      BiFunction<Sink<?>, Integer, SinkContext> sinkContexts,
      Consumer<Throwable> onFailure) {
    this.settings = settings;
    this.graph = graph;
    this.store = store;
    this.sinkContexts = sinkContexts;
    this.onFailure = onFailure;
    this.meters = settings.meterRegistry();
    groupOfTopic.putAll(settings.slotGroupOfTopic());
  }

  /** The groups now, in index order (the coordinator's barrier targets). */
  public List<ProcessingGroup> groups() {
    return groups;
  }

  /** The group a partition feeds now. */
  public ProcessingGroup groupOf(String partition) {
    return groups.get(names.indexOf(groupNameOf(partition)));
  }

  private String groupNameOf(String partition) {
    return groupOfTopic.getOrDefault(Partitions.baseOf(partition), "default");
  }

  /** The group of each topic of an automatic plan, with the measured load, and its gauges. */
  public void applyPlan(List<SlotGroupPlanner.Planned> plan) {
    for (SlotGroupPlanner.Planned g : plan) {
      g.topics().forEach(t -> groupOfTopic.put(t, g.name()));
      if (load.put(g.name(), g.bytesPerSecond()) == null) {
        Metric.SLOTGROUP_LOAD
            .gauge(load, m -> m.getOrDefault(g.name(), 0.0))
            .tag("app", settings.name())
            .tag("group", g.name())
            .register(meters);
        Metric.SLOTGROUP_TOPICS
            .gauge(groupOfTopic, m -> m.values().stream().filter(g.name()::equals).count())
            .tag("app", settings.name())
            .tag("group", g.name())
            .register(meters);
      }
      LOG.info(
          "[{}] slot group {} (automatic): {} topics, {} B/s measured: {}",
          settings.name(),
          g.name(),
          g.topics().size(),
          Math.round(g.bytesPerSecond()),
          g.topics());
    }
  }

  /** Records the byte rates measured for topics whose plan did not change. */
  public void updateLoad(Map<String, Double> rates) {
    Map<String, Double> byGroup = new HashMap<>();
    rates.forEach((t, r) -> byGroup.merge(groupOfTopic.getOrDefault(t, "default"), r, Double::sum));
    load.replaceAll((group, old) -> byGroup.getOrDefault(group, 0.0));
  }

  /** One slot group per declared name plus {@code default}; each has its own ring and thread. */
  public void start(Map<String, MessageId> restored) {
    List<String> wanted = new ArrayList<>();
    wanted.add("default");
    groupOfTopic.values().stream().distinct().sorted().forEach(wanted::add);
    for (String name : wanted) {
      int index = groups.size();
      boolean topicScoped =
          settings.autoSlotGroupShared() > 0 && !settings.slotGroupOfTopic().containsValue(name);
      byte[] namespace =
          topicScoped
              ? AUTO_NAMESPACE
              : index == 0
                  ? new byte[0]
                  : ("\0group:" + name + "\0").getBytes(StandardCharsets.UTF_8);
      ProcessingGroup group =
          new ProcessingGroup(
              index,
              settings.name(),
              settings.ringSize(),
              settings.ringBytes(),
              settings.waitStrategy(),
              settings.checkpointTimeout(),
              name,
              topicScoped,
              Threads.named(settings.threadFactory(), settings.name(), "process-" + name),
              new KeyedStateBackend(store, namespace),
              sinkContexts,
              meters,
              onFailure);
      groups.add(group);
      names.add(name);
      group.compile(graph);
      // Only the reading group's copy of a position advances; a stale copy in another group
      // would reach the checkpoint and hold the partition's durable cursor back.
      Map<String, MessageId> own = new HashMap<>();
      restored.forEach(
          (partition, id) -> {
            if (groupNameOf(partition).equals(name)) {
              own.put(partition, id);
            }
          });
      group.restorePositions(own);
      group.start();
    }
  }

  /**
   * Stops every group (each processes what is in its ring first) and starts the groups of {@code
   * plan} from {@code restored}, the positions of a checkpoint taken with the fetchers paused.
   */
  public void replace(
      List<SlotGroupPlanner.Planned> plan, Map<String, MessageId> restored, long checkpointId) {
    for (ProcessingGroup g : groups) {
      if (!g.stop(settings.checkpointTimeout())) {
        throw new SluiceException(
            "Slot group "
                + names.get(g.index())
                + " did not stop within "
                + settings.checkpointTimeout()
                + " while regrouping; the app stops and resumes from checkpoint "
                + checkpointId
                + " on restart");
      }
      g.removeGauges(meters);
    }
    groups.clear();
    names.clear();
    groupOfTopic.keySet().removeIf(t -> !settings.slotGroupOfTopic().containsKey(t));
    applyPlan(plan);
    load.keySet().retainAll(groupOfTopic.values());
    start(restored);
  }

  /** Lets every group re-evaluate its watermark (the ticker). */
  public void tick() {
    groups.forEach(ProcessingGroup::tick);
  }

  /** Stops every group; whether all stopped within {@code timeout}. */
  public boolean stop(Duration timeout) {
    boolean clean = true;
    for (ProcessingGroup g : groups) {
      clean &= g.stop(timeout);
    }
    return clean;
  }

  /** Which slot group reads each partition, from each partition's own group reference. */
  public Map<String, List<String>> assignment(Map<String, String> groupOfPartition) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    names.forEach(n -> out.put(n, new ArrayList<>()));
    groupOfPartition.forEach((p, g) -> out.computeIfAbsent(g, n -> new ArrayList<>()).add(p));
    out.values().forEach(Collections::sort);
    return out;
  }
}
