package io.sluice.internal.checkpoint;

/** What a {@link io.sluice.errors.CommitLostException} means for the user, here and in recovery. */
final class LostCommits {
  private LostCommits() {}

  static final String REMEDY =
      "A restart from the local state fails the same way; to produce the lost output again,"
          + " delete the app's state directory: the app then resumes from its durable cursors"
          + " (records after them are processed again, so some output may be written twice).";
}
