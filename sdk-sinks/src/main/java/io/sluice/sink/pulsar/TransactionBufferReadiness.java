package io.sluice.sink.pulsar;

import io.sluice.errors.SinkException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readies the broker's transaction buffer of every partition of the sink topic before the sink's
 * first transactional send.
 *
 * <p>A partition's buffer holds no snapshot until its first transactional write, which takes the
 * first one. When the first writes of several producers (replicas, shards, slot groups) race there,
 * Pulsar 4.0.7 can fail that snapshot: the buffer then refuses every later transaction, or recovers
 * after having acknowledged sends it did not keep (docs/replicas.md, hazards). So the sink makes
 * that first write itself, one empty message in a transaction it aborts (readers never see it), and
 * waits until the buffer reports {@code Ready}. A partition whose buffer does not get there is
 * unloaded, so that the broker loads it afresh, and tried again.
 *
 * <p>Reading the buffer's state needs only the produce permission; unloading needs a tenant admin.
 */
final class TransactionBufferReadiness {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionBufferReadiness.class);
  private static final String READY = "Ready";
  private static final long WAIT_SECONDS = 30;
  private static final int ATTEMPTS = 3;

  private final PulsarAdmin admin;
  private final PulsarClient client;
  private final String sink;

  TransactionBufferReadiness(PulsarAdmin admin, PulsarClient client, String sink) {
    this.admin = admin;
    this.client = client;
    this.sink = sink;
  }

  /** Returns once every partition of {@code topic} is ready; throws naming the one that is not. */
  void ensure(String topic) throws PulsarAdminException, InterruptedException {
    for (String partition : partitions(topic)) {
      ensurePartition(partition);
    }
  }

  private void ensurePartition(String partition) throws PulsarAdminException, InterruptedException {
    String state = state(partition);
    for (int attempt = 1; state != null && !READY.equals(state); attempt++) {
      writeAndAbort(partition);
      state = awaitReady(partition);
      if (state == null || READY.equals(state)) {
        break;
      }
      if (attempt == ATTEMPTS) {
        throw new SinkException(
            "Sink "
                + sink
                + ": the broker's transaction buffer of "
                + partition
                + " stays '"
                + state
                + "' after "
                + ATTEMPTS
                + " first transactional writes and unloads; transactions on it would fail or be"
                + " lost. Look for transaction-buffer errors in the broker log, unload the topic"
                + " (pulsar-admin topics unload "
                + partition
                + ") and start again.");
      }
      LOG.warn(
          "sink {}: the transaction buffer of {} is '{}' {} s after a first transactional write;"
              + " unloading the topic so that the broker loads it afresh",
          sink,
          partition,
          state,
          WAIT_SECONDS);
      admin.topics().unload(partition);
      state = awaitState(partition);
    }
  }

  private List<String> partitions(String topic) throws PulsarAdminException {
    int n = admin.topics().getPartitionedTopicMetadata(topic).partitions;
    if (n == 0) {
      return List.of(topic);
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(TopicName.get(topic).getPartition(i).toString());
    }
    return out;
  }

  /** The buffer's state; null when this role may not read it (nothing to check then). */
  private String state(String partition) throws PulsarAdminException, InterruptedException {
    try {
      return awaitState(partition);
    } catch (PulsarAdminException e) {
      if (e.getStatusCode() == 403 || e.getStatusCode() == 405) {
        LOG.info(
            "sink {}: cannot read the transaction buffer of {} ({}); not checking it",
            sink,
            partition,
            e.getMessage());
        return null;
      }
      throw e;
    }
  }

  /** The state once the broker answers (a topic being loaded answers with an error for a while). */
  private String awaitState(String partition) throws PulsarAdminException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (true) {
      try {
        return admin.transactions().getTransactionBufferStats(partition).state;
      } catch (PulsarAdminException e) {
        if (e.getStatusCode() == 403 || e.getStatusCode() == 405 || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(200);
    }
  }

  private String awaitReady(String partition) throws PulsarAdminException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    String state = awaitState(partition);
    while (!READY.equals(state) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      state = awaitState(partition);
    }
    return state;
  }

  private void writeAndAbort(String partition) throws InterruptedException {
    try (Producer<byte[]> producer =
        client
            .newProducer()
            .topic(partition)
            .sendTimeout((int) WAIT_SECONDS, TimeUnit.SECONDS)
            .create()) {
      Transaction txn =
          client
              .newTransaction()
              .withTransactionTimeout(1, TimeUnit.MINUTES)
              .build()
              .get(WAIT_SECONDS, TimeUnit.SECONDS);
      try {
        producer.newMessage(txn).value(new byte[0]).send();
      } finally {
        txn.abort().get(WAIT_SECONDS, TimeUnit.SECONDS);
      }
    } catch (PulsarClientException | ExecutionException | TimeoutException e) {
      // the buffer's state, read next, decides: a failed write is what an unload mends
      LOG.warn(
          "sink {}: the first transactional write to {} failed: {}", sink, partition, e.toString());
    }
  }
}
