package io.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Removes the working directories that demos, benchmarks and tests leave behind. */
public final class Dirs {
  private Dirs() {}

  /** Deletes {@code dir} and everything under it; does nothing if it does not exist. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + " to delete it", e);
    }
    for (Path path : paths) {
      try {
        Files.deleteIfExists(path);
      } catch (NoSuchFileException e) {
        // removed meanwhile by its owner: fine
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + path, e);
      }
    }
  }
}
