package io.sluice.sink.internal;

import java.util.regex.Pattern;

/** Shows a URI without its password, for messages and {@code toString()}. */
public final class Redaction {
  /** {@code scheme://user:password@} or {@code scheme://password@}: everything after the user. */
  private static final Pattern USER_INFO =
      Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)([^@/]*)@");

  private Redaction() {}

  /** {@code uri} with the password (and a user-less secret) replaced by {@code ****}. */
  public static String uri(String uri) {
    if (uri == null) {
      return null;
    }
    var m = USER_INFO.matcher(uri);
    if (!m.find()) {
      return uri;
    }
    String info = m.group(2);
    int colon = info.indexOf(':');
    String shown = colon >= 0 ? info.substring(0, colon) + ":****" : "****";
    return m.group(1) + shown + "@" + uri.substring(m.end());
  }
}
