package io.sluice;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No import cycle between any two packages of the main code of sdk-core, the sinks and the test kit
 * (all on this module's class path). Public packages hold what the internals use (values,
 * functions, exceptions in {@code io.sluice.errors}); the entry points ({@code Sluice}, the sink
 * builders) build the internals; so dependencies run one way.
 */
class PackageCyclesTest {
  @Test
  void shouldHaveNoCycleBetweenPackages() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice");
    slices().matching("(**)").should().beFreeOfCycles().check(classes);
  }
}
