package io.guestmem.memory;

import io.guestmem.memory.backend.KvmBackend;
import io.guestmem.memory.backend.SecretmemBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Which backends this host can run, and the skip every kernel-dependent test uses. */
final class Backends {
  private Backends() {}

  private static final boolean KVM = probeKvm();
  private static final boolean SECRETMEM = probeSecretmem();

  private static boolean probeKvm() {
    if (!Files.exists(Path.of("/dev/kvm"))) {
      return false;
    }
    try (KvmBackend b = KvmBackend.open()) {
      return true;
    } catch (MemoryException | RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static boolean probeSecretmem() {
    try (SecretmemBackend b = SecretmemBackend.open()) {
      return true;
    } catch (MemoryException | RuntimeException | LinkageError e) {
      return false;
    }
  }

  static boolean kvm() {
    return KVM;
  }

  /** Every backend name; tests skip the ones this host lacks via {@link #assume(String)}. */
  static Stream<String> all() {
    return Stream.of("emulated", "kvm", "secretmem");
  }

  static void assume(String backend) {
    if (backend.equals("kvm")) {
      Assumptions.assumeTrue(KVM, "/dev/kvm with guest_memfd absent on this host: kvm backend skipped");
    } else if (backend.equals("secretmem")) {
      Assumptions.assumeTrue(SECRETMEM, "memfd_secret unavailable on this host: secretmem backend skipped");
    }
  }

  static void assumeKvm() {
    assume("kvm");
  }

  static MemoryEngine open(Path dir, String backend) throws MemoryException {
    assume(backend);
    return MemoryEngine.open(EngineConfig.of(dir, backend));
  }
}
