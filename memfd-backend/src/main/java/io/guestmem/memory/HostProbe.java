package io.guestmem.memory;

import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Probes the host through the kernel (never from configuration): KVM, guest_memfd and its
 * flags, VM types, memory attributes, memslot v2 and memfd_secret. Never throws: a missing
 * feature is reported as absent, with a note saying why.
 */
public final class HostProbe {
  private HostProbe() {}

  public static HostCapabilities probe() {
    List<String> notes = new ArrayList<>();
    boolean memfdSecret = probeMemfdSecret(notes);
    if (!Files.exists(Path.of(Kvm.DEVICE))) {
      notes.add(Kvm.DEVICE + " is absent: no KVM on this host");
      return new HostCapabilities(false, 0, false, List.of(), List.of(), false, false, memfdSecret,
          pickBackend(false, memfdSecret), notes);
    }
    int kvmFd;
    try {
      kvmFd = Syscalls.open(Kvm.DEVICE, Syscalls.O_RDWR);
    } catch (ErrnoException e) {
      notes.add(Kvm.DEVICE + " cannot be opened: " + e.getMessage());
      return new HostCapabilities(false, 0, false, List.of(), List.of(), false, false, memfdSecret,
          pickBackend(false, memfdSecret), notes);
    }
    try {
      int api = Syscalls.ioctl(kvmFd, "KVM_GET_API_VERSION", Kvm.KVM_GET_API_VERSION, 0);
      boolean gmem = check(kvmFd, Kvm.KVM_CAP_GUEST_MEMFD) > 0;
      boolean mem2 = check(kvmFd, Kvm.KVM_CAP_USER_MEMORY2) > 0;
      long types = check(kvmFd, Kvm.KVM_CAP_VM_TYPES);
      List<String> vmTypes = new ArrayList<>();
      if (types <= 0) {
        vmTypes.add(Kvm.vmTypeName(Kvm.KVM_X86_DEFAULT_VM));
      } else {
        for (int bit = 0; bit < 32; bit++) {
          if ((types & (1L << bit)) != 0) {
            vmTypes.add(Kvm.vmTypeName(bit));
          }
        }
      }
      // guest_memfd flags and memory attributes are per VM: ask a default VM.
      long gmemFlags = 0;
      long attributes = check(kvmFd, Kvm.KVM_CAP_MEMORY_ATTRIBUTES);
      try {
        int vmFd = Syscalls.ioctl(kvmFd, "KVM_CREATE_VM", Kvm.KVM_CREATE_VM, Kvm.KVM_X86_DEFAULT_VM);
        try {
          gmemFlags = Math.max(0, check(vmFd, Kvm.KVM_CAP_GUEST_MEMFD_FLAGS));
          attributes = Math.max(attributes, check(vmFd, Kvm.KVM_CAP_MEMORY_ATTRIBUTES));
        } finally {
          closeQuietly(vmFd);
        }
      } catch (ErrnoException e) {
        notes.add("cannot create a default VM to probe per-VM capabilities: " + e.getMessage());
      }
      List<String> flags = new ArrayList<>();
      for (int bit = 0; bit < 64; bit++) {
        if ((gmemFlags & (1L << bit)) != 0) {
          flags.add(Kvm.guestMemfdFlagName(bit));
        }
      }
      boolean memAttrs = attributes > 0 && (attributes & Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE) != 0;
      if (!gmem) {
        notes.add("KVM_CAP_GUEST_MEMFD is 0: this kernel has no guest_memfd");
      }
      if (!memAttrs) {
        notes.add("KVM_CAP_MEMORY_ATTRIBUTES lacks PRIVATE: page state is kept by guestmem, not by KVM");
      }
      return new HostCapabilities(true, api, gmem, flags, vmTypes, memAttrs, mem2, memfdSecret,
          pickBackend(gmem, memfdSecret), notes);
    } catch (ErrnoException e) {
      notes.add("KVM probe failed: " + e.getMessage());
      return new HostCapabilities(false, 0, false, List.of(), List.of(), false, false, memfdSecret,
          pickBackend(false, memfdSecret), notes);
    } finally {
      closeQuietly(kvmFd);
    }
  }

  /** The backend {@code serve} picks: real guest_memfd first, then memfd_secret, then pure Java. */
  public static String pickBackend(boolean guestMemfd, boolean memfdSecret) {
    return guestMemfd ? "kvm" : memfdSecret ? "secretmem" : "emulated";
  }

  private static long check(int fd, int cap) {
    try {
      return Syscalls.ioctl(fd, "KVM_CHECK_EXTENSION", Kvm.KVM_CHECK_EXTENSION, cap);
    } catch (ErrnoException e) {
      return 0;
    }
  }

  private static boolean probeMemfdSecret(List<String> notes) {
    try {
      int fd = Syscalls.memfdSecret();
      closeQuietly(fd);
      return true;
    } catch (ErrnoException e) {
      notes.add("memfd_secret unavailable: " + e.getMessage());
      return false;
    } catch (LinkageError | RuntimeException e) {
      notes.add("memfd_secret unavailable: " + e);
      return false;
    }
  }

  private static void closeQuietly(int fd) {
    try {
      Syscalls.close(fd);
    } catch (ErrnoException ignored) {
      // probing only: nothing to recover
    }
  }
}
