package io.guestmem.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction of docs/design.md, enforced on the compiled classes and on the POMs:
 * memfd-backend and attestation depend on nothing of ours; the {@code abi} packages depend on
 * nothing of ours but themselves; tdx and snp do not know each other; only the rpc module
 * ({@code io.guestmem.rpc}, {@code io.guestmem.cli}) knows gRPC and protobuf; no cycles.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.guestmem");
  }

  @Test
  void memoryEngineDependsOnNothingOfOurs() {
    check(noClasses().that().resideInAPackage("io.guestmem.memory..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.guestmem.attestation..", "io.guestmem.tdx..", "io.guestmem.snp..", "io.guestmem.rpc..", "io.guestmem.cli..", "io.guestmem.vectors.."));
  }

  @Test
  void attestationCoreKnowsNoTee() {
    check(noClasses().that().resideInAPackage("io.guestmem.attestation..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.guestmem.memory..", "io.guestmem.tdx..", "io.guestmem.snp..", "io.guestmem.rpc..", "io.guestmem.cli..", "io.guestmem.vectors.."));
  }

  @Test
  void abiPackagesAreLayoutsOnly() {
    // JDK, BouncyCastle ASN.1 (certificate extensions) and Jackson (PCS JSON collateral) only.
    check(noClasses().that().resideInAnyPackage("io.guestmem.tdx.abi..")
        .should().dependOnClassesThat().resideOutsideOfPackages(
            "io.guestmem.tdx.abi..", "java..", "javax.security..", "org.bouncycastle.asn1..", "org.bouncycastle.util..", "com.fasterxml.jackson.."));
    check(noClasses().that().resideInAnyPackage("io.guestmem.snp.abi..")
        .should().dependOnClassesThat().resideOutsideOfPackages(
            "io.guestmem.snp.abi..", "java..", "javax.security..", "org.bouncycastle.asn1..", "org.bouncycastle.util..", "com.fasterxml.jackson.."));
  }

  @Test
  void teeModulesDoNotKnowEachOtherOrTheService() {
    check(noClasses().that().resideInAPackage("io.guestmem.tdx..")
        .should().dependOnClassesThat().resideInAnyPackage("io.guestmem.snp..", "io.guestmem.rpc..", "io.guestmem.cli.."));
    check(noClasses().that().resideInAPackage("io.guestmem.snp..")
        .should().dependOnClassesThat().resideInAnyPackage("io.guestmem.tdx..", "io.guestmem.rpc..", "io.guestmem.cli.."));
  }

  @Test
  void onlyRpcKnowsGrpcAndProtobuf() {
    check(noClasses().that().resideOutsideOfPackages("io.guestmem.rpc..", "io.guestmem.cli..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "com.google.protobuf..", "io.netty.."));
  }

  @Test
  void topLevelSlicesAreFreeOfCycles() {
    check(slices().matching("io.guestmem.(*)..").should().beFreeOfCycles());
  }

  private static void check(ArchRule rule) {
    rule.allowEmptyShould(true).check(classes);
  }

  /** Allowed edges between our Maven modules (the POMs must not declare any other). */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "memfd-backend", Set.of(),
      "attestation", Set.of(),
      "tdx-module", Set.of("attestation", "memfd-backend"),
      "snp-module", Set.of("attestation", "memfd-backend"),
      "rpc", Set.of("memfd-backend", "attestation", "tdx-module", "snp-module", "test-vectors"),
      "test-vectors", Set.of("memfd-backend", "attestation", "tdx-module", "snp-module"),
      "benchmarks", Set.of("memfd-backend", "attestation", "tdx-module", "snp-module", "rpc", "test-vectors"));

  private static final Pattern OUR_DEPENDENCY = Pattern.compile(
      "<dependency>\\s*<groupId>io\\.guestmem</groupId>\\s*<artifactId>([a-z-]+)</artifactId>");

  @Test
  void mavenModulesDependOnlyDownward() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    for (Map.Entry<String, Set<String>> e : ALLOWED.entrySet()) {
      Path pom = root.resolve(e.getKey()).resolve("pom.xml");
      assertThat(pom).as("module POM").exists();
      Set<String> declared = ourDependencies(Files.readString(pom));
      assertThat(declared).as("io.guestmem dependencies of %s", e.getKey()).isSubsetOf(e.getValue());
    }
    // every module in the parent POM is covered by the table above
    String parent = Files.readString(root.resolve("pom.xml"));
    Matcher m = Pattern.compile("<module>([a-z-]+)</module>").matcher(parent);
    List<String> modules = m.results().map(r -> r.group(1)).collect(Collectors.toList());
    assertThat(ALLOWED.keySet()).containsExactlyInAnyOrderElementsOf(modules);
  }

  static Set<String> ourDependencies(String pomXml) {
    // the parent POM's dependencyManagement lists every module; module POMs list real edges
    Matcher m = OUR_DEPENDENCY.matcher(pomXml);
    Set<String> out = new TreeSet<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
