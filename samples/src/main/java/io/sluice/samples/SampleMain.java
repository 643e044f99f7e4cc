package io.sluice.samples;

import io.sluice.samples.abtest.AbMain;
import io.sluice.samples.common.SampleOptions;
import io.sluice.samples.etl.EtlMain;
import io.sluice.samples.serving.ServingMain;
import java.util.Arrays;
import java.util.List;

/**
 * The entry point of {@code scripts/sample.sh <sample> [--option value …]}: runs one sample and
 * exits with 0 when its final check ended {@code -> OK}, 1 when it did not, 2 on bad usage.
 */
public final class SampleMain {
  private SampleMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
      System.exit(2);
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    int status;
    try {
      SampleOptions options = new SampleOptions(rest);
      status =
          switch (args[0]) {
            case "etl" -> EtlMain.run(options);
            case "abtest" -> AbMain.run(options);
            case "serving" -> ServingMain.run(options);
            default -> {
              usage();
              yield 2;
            }
          };
    } catch (IllegalArgumentException e) {
      System.out.println("sample: " + e.getMessage());
      status = 2;
    }
    System.exit(status);
  }

  private static void usage() {
    System.out.println(
        "usage: scripts/sample.sh etl|abtest|serving [--option value ...]  (see samples/README)");
  }
}
