package io.sluice.samples.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The serving sample's final check, through its own HTTP API: the total and every song's play count
 * equal the generated input exactly (INCRBY applied exactly once), the leaderboard's top 10 are the
 * songs with the most plays with their exact counts, and the distinct listener counts (HyperLogLog,
 * about 0.8 % standard error) are within 5 % (or 2 listeners) of the exact ones.
 */
final class ServingCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final int port;
  private final PlayLayout layout;

  ServingCheck(int port, PlayLayout layout) {
    this.port = port;
    this.layout = layout;
  }

  record Result(String line, boolean ok) {}

  int healthStatus() {
    try {
      return send("/health").statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** {@code /plays/total}'s answer, for the progress line. */
  String total() {
    try {
      return get("/plays/total").path("plays").asText();
    } catch (Exception e) {
      return "?";
    }
  }

  Result run() throws Exception {
    long total = get("/plays/total").path("plays").asLong();
    Map<String, Long> counts = layout.counts();
    Map<String, Set<String>> listeners = layout.listeners();
    long wrongCounts = 0;
    double worstListenerError = 0;
    long listenerErrors = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      JsonNode song = get("/songs/" + e.getKey());
      if (song.path("plays").asLong() != e.getValue()) {
        wrongCounts++;
      }
      long exact = listeners.get(e.getKey()).size();
      long estimate = song.path("listeners").asLong();
      double error = Math.abs(estimate - exact) / (double) exact;
      worstListenerError = Math.max(worstListenerError, error);
      if (error > 0.05 && Math.abs(estimate - exact) > 2) {
        listenerErrors++;
      }
    }
    List<Map.Entry<String, Long>> ranked = new ArrayList<>(counts.entrySet());
    ranked.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
    long tenth = ranked.get(Math.min(9, ranked.size() - 1)).getValue();
    long leaderboardWrong = 0;
    JsonNode top = get("/songs/top?n=10");
    for (int i = 0; i < top.size(); i++) {
      String song = top.get(i).path("song").asText();
      long plays = top.get(i).path("plays").asLong();
      // the i-th entry has the i-th highest count (ties may come in either order)
      if (plays != counts.getOrDefault(song, -1L) || plays != ranked.get(i).getValue()) {
        leaderboardWrong++;
      }
    }
    leaderboardWrong += Math.max(0, Math.min(10, counts.size()) - top.size());
    boolean ok =
        total == layout.plays() && wrongCounts == 0 && leaderboardWrong == 0 && listenerErrors == 0;
    String line =
        String.format(
            "plays=%d total=%d songs=%d wrong_counts=%d top10_wrong=%d (10th has %d plays)"
                + " listeners_worst_error=%.2f%%",
            layout.plays(),
            total,
            counts.size(),
            wrongCounts,
            leaderboardWrong,
            tenth,
            worstListenerError * 100);
    System.out.println("serving: GET /songs/top?n=5 -> " + get("/songs/top?n=5"));
    System.out.println("serving: GET /songs/song-0 -> " + get("/songs/song-0"));
    System.out.println("serving: GET /listeners -> " + get("/listeners"));
    System.out.println("serving: GET /health -> " + send("/health").body());
    return new Result(line, ok);
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    return JSON.readTree(send(path).body());
  }

  private HttpResponse<String> send(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
