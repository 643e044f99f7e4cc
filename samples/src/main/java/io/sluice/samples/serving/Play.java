package io.sluice.samples.serving;

/** One play of a song by a user, as JSON on the plays topic. */
public final class Play {
  public String user;
  public String song;
  public long ts;

  public Play() {}

  Play(String user, String song, long ts) {
    this.user = user;
    this.song = song;
    this.ts = ts;
  }

  String toJson() {
    return "{\"user\":\"%s\",\"song\":\"%s\",\"ts\":%d}".formatted(user, song, ts);
  }
}
