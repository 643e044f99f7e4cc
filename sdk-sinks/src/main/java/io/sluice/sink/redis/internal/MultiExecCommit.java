package io.sluice.sink.redis.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Commits a batch whose commands are still in memory, in one round trip of plain commands instead
 * of the Lua script (which pays a {@code redis.call} and a decoded table per command):
 *
 * <pre>
 *  WATCH marker staging; GET marker ─▶ ≥ seq: already committed (UNWATCH)
 *  HEXISTS staging count ─▶ no: staging not sealed or gone, leave it to the script
 *  MULTI; the batch's commands; SET marker seq PX retention; DEL staging; EXEC
 *        EXEC answers nil (the marker changed after WATCH) ─▶ start over
 * </pre>
 *
 * Redis runs the queued commands and the marker update as one transaction, and drops the queue of a
 * connection that closes before EXEC, so a commit cut short by a crash applies nothing, and a
 * replay finds the marker and changes nothing. A command Redis refuses when it runs (wrong type) is
 * counted while the rest is applied, as in the script.
 */
final class MultiExecCommit {
  private MultiExecCommit() {}

  /**
   * What a commit did.
   *
   * @param applied false when the batch had been committed before
   * @param refused commands Redis refused
   * @param firstErrors up to 5 of them, as "COMMAND key: error"
   */
  record Outcome(boolean applied, long refused, List<String> firstErrors) {}

  /** Commits the batch; null when its staging is not there sealed (the script then explains). */
  static Outcome apply(
      RedisClient client,
      String stagingKey,
      String markerKey,
      long seq,
      Duration retention,
      List<List<EncodedCommand>> chunks) {
    try (Connection connection = client.getPool().getResource()) {
      try {
        return commit(connection, stagingKey, markerKey, seq, retention, chunks);
      } catch (JedisDataException e) {
        // Refused, not lost: the connection goes back to the pool, so drop what it watches.
        connection.executeCommand(Protocol.Command.UNWATCH);
        throw e;
      }
    }
  }

  private static Outcome commit(
      Connection connection,
      String stagingKey,
      String markerKey,
      long seq,
      Duration retention,
      List<List<EncodedCommand>> chunks) {
    while (true) {
      connection.executeCommand(
          new CommandArguments(Protocol.Command.WATCH).key(markerKey).key(stagingKey));
      Object done =
          connection.executeCommand(new CommandArguments(Protocol.Command.GET).key(markerKey));
      if (done != null
          && Long.parseLong(new String((byte[]) done, StandardCharsets.US_ASCII)) >= seq) {
        connection.executeCommand(Protocol.Command.UNWATCH);
        return new Outcome(false, 0, List.of());
      }
      Object sealed =
          connection.executeCommand(
              new CommandArguments(Protocol.Command.HEXISTS).key(stagingKey).add("count"));
      if (!Long.valueOf(1).equals(sealed)) {
        // Staging gone (aborted, expired, lost) or never sealed: the script reports which.
        connection.executeCommand(Protocol.Command.UNWATCH);
        return null;
      }
      // Straight onto the connection, replies read once at the end: Jedis's Transaction would
      // keep a command object and a response per queued command, which costs the client about
      // as much as the plain client spends on the whole batch.
      connection.sendCommand(Protocol.Command.MULTI);
      int queued = 0;
      for (List<EncodedCommand> chunk : chunks) {
        for (EncodedCommand command : chunk) {
          connection.sendCommand(command.command(), command.args());
          queued++;
        }
      }
      connection.sendCommand(
          new CommandArguments(Protocol.Command.SET)
              .key(markerKey)
              .add(Long.toString(seq))
              .add("PX")
              .add(Long.toString(retention.toMillis())));
      connection.sendCommand(new CommandArguments(Protocol.Command.DEL).key(stagingKey));
      connection.sendCommand(Protocol.Command.EXEC);
      // MULTI's OK and one QUEUED per command (a refused one answers an error and makes EXEC
      // fail, applying nothing); read all of them, errors included, to keep the stream aligned.
      List<Object> acks = connection.getMany(queued + 3);
      Object exec;
      try {
        exec = connection.getOne();
      } catch (JedisDataException e) {
        // EXECABORT: a command was refused when queued (e.g. wrong arity); nothing was applied.
        throw new JedisDataException(
            "MULTI/EXEC commit refused: " + e.getMessage() + "; " + firstError(acks), e);
      }
      if (exec == null) {
        continue; // another commit of this writer's batches moved the marker: check again
      }
      @SuppressWarnings("unchecked")
      List<Object> results = (List<Object>) exec;
      long refused = 0;
      List<String> errors = new ArrayList<>();
      int i = 0;
      for (List<EncodedCommand> chunk : chunks) {
        for (EncodedCommand command : chunk) {
          if (results.get(i++) instanceof JedisDataException e) {
            refused++;
            if (errors.size() < 5) {
              List<String> text = command.toStrings();
              errors.add(text.get(0) + " " + text.get(1) + ": " + e.getMessage());
            }
          }
        }
      }
      return new Outcome(true, refused, errors);
    }
  }

  private static String firstError(List<Object> acks) {
    for (Object a : acks) {
      if (a instanceof JedisDataException e) {
        return "first refused: " + e.getMessage();
      }
    }
    return "no command was refused when queued";
  }
}
