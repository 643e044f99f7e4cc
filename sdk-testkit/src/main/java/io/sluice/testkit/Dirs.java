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

  /** Deletes everything under {@code dir}, keeping {@code dir} itself (e.g. a test's temp dir). */
  public static void clear(Path dir) {
    try (Stream<Path> children = Files.list(dir)) {
      children.toList().forEach(Dirs::delete);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + " to clear it", e);
    }
  }

  /** Copies {@code from} and everything under it to {@code to} (created; files must not exist). */
  public static void copy(Path from, Path to) {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }
}
