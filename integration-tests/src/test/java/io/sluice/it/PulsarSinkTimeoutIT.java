package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CommitLostException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.sink.pulsar.internal.TxnIds;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.sink.TestSinkContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint's transaction that the broker aborted at its timeout (the app, or the broker, was
 * down longer than the sink's transactionTimeout) must fail recovery's commit loudly: the
 * coordinator forgets a transaction as soon as it has ended, so "not found" does not mean
 * "committed". A transaction that was committed and is then committed again (recovery after a crash
 * that followed the commit) must still pass.
 */
class PulsarSinkTimeoutIT {
  private static final Duration SHORT = Duration.ofSeconds(5);
  private static final Duration LONG = Duration.ofMinutes(2);

  @Test
  void shouldFailLoudlyCommittingATransactionTheBrokerTimedOut() throws Exception {
    String topic = uniqueTopic("sink-timed-out");
    admin().topics().createNonPartitionedTopic(topic);
    Committable prepared = writeAndPrepare(topic, "lost", SHORT);
    awaitForgotten(prepared); // the broker aborts it after 5 s
    // as after a broker restart: the topic's transaction buffer is loaded afresh by the check
    admin().topics().unload(topic);
    // a new sink object, as after a restart: the transaction is committed by its id alone
    PulsarSink<String> restarted = sink(topic, SHORT);
    try (Committer committer = restarted.createCommitter(context(restarted.name()))) {
      assertThatThrownBy(() -> commitRetryingWhileUndecided(committer, prepared))
          .isInstanceOf(CommitLostException.class)
          .hasMessageContaining("aborted by the broker")
          .hasMessageContaining("transactionTimeout");
    }
    assertThat(PulsarFixture.readAll(topic)).isEmpty();
  }

  /**
   * The forgotten abort: the broker aborted a checkpoint's transaction at its timeout, and then the
   * ledger holding its messages and its abort marker was deleted (here by a truncate; in production
   * by retention once consumed), so neither the coordinator nor the transaction buffer knows it any
   * more. "Unknown" must not be taken as "committed": the commit fails loudly.
   */
  @Test
  void shouldNotTakeATimedOutTransactionAsCommittedOnceItsLedgerIsDeleted() throws Exception {
    String topic = uniqueTopic("sink-forgotten-abort");
    admin().topics().createNonPartitionedTopic(topic);
    Committable prepared = writeAndPrepare(topic, "forgotten", SHORT);
    TxnID id = TxnIds.fromBytes(prepared.bytes());
    awaitForgotten(prepared); // the broker aborts it after 5 s
    admin().topics().unload(topic); // the topic comes back on a new ledger
    PulsarFixture.produce(topic, "later", 0, 1, 1); // so that the old ledger is not the current one
    admin().topics().truncate(topic); // deletes every ledger but the current one
    admin().topics().unload(topic); // the buffer is loaded afresh, without the deleted ledger
    Await.until(
        "the transaction buffer to forget the abort of " + id,
        Duration.ofSeconds(60),
        () -> {
          try {
            PulsarFixture.readAll(topic); // loads the topic and its buffer
            return !admin().transactions().getTransactionInBufferStats(id, topic).aborted;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    PulsarSink<String> restarted = sink(topic, SHORT);
    try (Committer committer = restarted.createCommitter(context(restarted.name()))) {
      assertThatThrownBy(() -> commitRetryingWhileUndecided(committer, prepared))
          .isInstanceOf(CommitLostException.class)
          .hasMessageContaining("cannot be told")
          .hasMessageContaining("retention");
    }
  }

  @Test
  void shouldTakeAForgottenCommittedTransactionAsCommitted() throws Exception {
    String topic = uniqueTopic("sink-committed");
    admin().topics().createPartitionedTopic(topic, 2);
    Committable prepared = writeAndPrepare(topic, "kept", LONG);
    PulsarSink<String> first = sink(topic, LONG);
    try (Committer committer = first.createCommitter(context(first.name()))) {
      committer.commit(prepared);
    }
    awaitForgotten(prepared); // at once: committed
    PulsarSink<String> restarted = sink(topic, LONG);
    try (Committer committer = restarted.createCommitter(context(restarted.name()))) {
      committer.commit(prepared); // recovery commits the restored checkpoint's transaction again
    }
    assertThat(PulsarFixture.readAll(topic)).hasSize(10).doesNotHaveDuplicates();
  }

  /** Commits as the runtime does: a SinkException is retried (here for up to 30 s). */
  private static void commitRetryingWhileUndecided(Committer committer, Committable c)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        committer.commit(c);
        return;
      } catch (CommitLostException e) {
        throw e;
      } catch (io.sluice.errors.SinkException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private static PulsarSink<String> sink(String topic, Duration transactionTimeout) {
    return PulsarSink.<String>builder()
        .name("timeout-sink")
        .topic(topic)
        .serializer(s -> s.getBytes(StandardCharsets.UTF_8))
        .transactionTimeout(transactionTimeout)
        .build();
  }

  private static Committable writeAndPrepare(
      String topic, String prefix, Duration transactionTimeout) throws Exception {
    PulsarSink<String> sink = sink(topic, transactionTimeout);
    try (SinkWriter<String> writer = sink.createWriter(context(sink.name()))) {
      for (int i = 0; i < 10; i++) {
        writer.write(prefix + "-" + i);
      }
      return writer.prepareCommit(1).get(30, TimeUnit.SECONDS);
    }
  }

  /** Until the coordinator no longer knows the transaction (it ended, or timed out). */
  private static void awaitForgotten(Committable prepared) throws Exception {
    TxnID id = TxnIds.fromBytes(prepared.bytes());
    Await.until(
        "the coordinator to forget " + id,
        Duration.ofSeconds(60),
        () -> {
          try {
            admin().transactions().getTransactionMetadata(id);
            return false;
          } catch (PulsarAdminException.NotFoundException e) {
            return true;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** What the runtime gives a sink, without a state store: pending handles are only kept here. */
  private static TestSinkContext context(String sink) {
    return new TestSinkContext(sink, 0)
        .withApp("timeout-app")
        .withPulsar(broker().serviceUrl(), broker().adminUrl());
  }
}
