package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.produce;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.SourceException;
import io.sluice.source.PositionLostPolicy;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpointed position whose ledger retention deleted: a clear error, or EARLIEST on request.
 */
class PositionLostIT {
  @TempDir Path stateDir;

  private Sluice app(String topic, PositionLostPolicy policy, Set<String> seen) {
    Sluice app =
        Sluice.builder()
            .name("lost")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .build();
    app.stream(PulsarSource.topics(topic).subscription("lost").onPositionLost(policy))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .forEach(seen::add);
    return app;
  }

  @Test
  void shouldFailClearlyOrContinueFromEarliestWhenTheCheckpointedLedgerIsGone() throws Exception {
    String topic = uniqueTopic("lost");
    Set<String> seen = ConcurrentHashMap.newKeySet();
    long firstLedger = readFirstHundred(topic, seen, false);

    // roll to a new ledger, move every cursor past the old one and let retention delete it
    admin().topics().unload(topic);
    produce(topic, "b", 0, 100, 10);
    admin().topics().skipAllMessages(topic, "lost");
    awaitTrimmed(topic, firstLedger);

    seen.clear();
    try (Sluice strict = app(topic, PositionLostPolicy.FAIL, seen)) {
      assertThatThrownBy(strict::start)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("which retention has deleted")
          .hasMessageContaining(topic)
          .hasMessageContaining("onPositionLost(PositionLostPolicy.EARLIEST)");
    } catch (SourceException expectedOnClose) {
      // close() rethrows the start failure; the assertion above already checked it
    }
    try (Sluice lenient = app(topic, PositionLostPolicy.EARLIEST, seen)) {
      lenient.start();
      Await.until("the 100 still stored", Duration.ofSeconds(30), () -> seen.size() == 100);
      assertThat(lenient.meterRegistry().get("sluice.source.positions.lost").counter().count())
          .isEqualTo(1.0);
    }
    assertThat(seen).allMatch(s -> s.startsWith("b-"));
  }

  /**
   * A ledger the app had read to its end, deleted because every subscription had consumed it, is
   * not a lost position: the app's durable cursor stands at the checkpointed entry and keeps what
   * follows. The app used to refuse to start ("retention has deleted") after, e.g., a topic unload
   * rolled the ledger while it was stopped.
   */
  @Test
  void shouldContinueWhenTheCheckpointedLedgerWasDeletedAfterBeingReadToItsEnd() throws Exception {
    String topic = uniqueTopic("consumed");
    Set<String> seen = ConcurrentHashMap.newKeySet();
    long firstLedger = readFirstHundred(topic, seen, true);
    // roll to a new ledger; the app's cursor already passed the old one, which trimming deletes
    admin().topics().unload(topic);
    produce(topic, "b", 0, 100, 10);
    produce(topic, "end", 0, 1, 1); // read last: once it is in, nothing else is coming
    awaitTrimmed(topic, firstLedger);
    seen.clear();
    try (Sluice again = app(topic, PositionLostPolicy.FAIL, seen)) {
      again.start();
      Await.until("the end marker", Duration.ofSeconds(30), () -> seen.contains("end-0"));
      seen.remove("end-0");
      assertThat(seen).hasSize(100).allMatch(s -> s.startsWith("b-"));
      assertThat(again.meterRegistry().get("sluice.source.positions.lost").counter().count())
          .isZero();
    }
  }

  /**
   * Creates {@code topic} with 100 messages "a-i" and reads them with a first run of the app (with
   * {@code cursorAtEnd}, until its durable cursor has reached the end too); returns the ledger they
   * are in.
   */
  private long readFirstHundred(String topic, Set<String> seen, boolean cursorAtEnd)
      throws Exception {
    admin().topics().createNonPartitionedTopic(topic);
    produce(topic, "a", 0, 100, 10);
    try (Sluice first = app(topic, PositionLostPolicy.FAIL, seen)) {
      first.start();
      Await.until("first 100", Duration.ofSeconds(30), () -> seen.size() == 100);
      if (cursorAtEnd) {
        Await.until(
            "the durable cursor at the end",
            Duration.ofSeconds(30),
            () -> {
              try {
                return admin()
                        .topics()
                        .getStats(topic)
                        .getSubscriptions()
                        .get("lost")
                        .getMsgBacklog()
                    == 0;
              } catch (Exception e) {
                return false;
              }
            });
      }
    }
    return admin().topics().getInternalStats(topic).ledgers.get(0).ledgerId;
  }

  /** Until trimming has deleted {@code ledger} (every cursor has passed it). */
  private static void awaitTrimmed(String topic, long ledger) throws Exception {
    Await.until(
        "ledger " + ledger + " deleted",
        Duration.ofSeconds(60),
        () -> {
          try {
            admin().topics().trimTopic(topic);
            return admin().topics().getInternalStats(topic).ledgers.stream()
                .noneMatch(l -> l.ledgerId == ledger);
          } catch (Exception e) {
            return false;
          }
        });
  }
}
