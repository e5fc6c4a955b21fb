package io.guestmem.memory;

import java.util.List;

/**
 * What this host really supports for guest memory, as probed through the kernel.
 *
 * @param kvm              {@code /dev/kvm} exists and opens read-write
 * @param kvmApiVersion    {@code KVM_GET_API_VERSION}, 0 without KVM
 * @param guestMemfd       {@code KVM_CAP_GUEST_MEMFD}
 * @param guestMemfdFlags  {@code KVM_CAP_GUEST_MEMFD_FLAGS} of a default VM, decoded ({@code MMAP}, {@code INIT_SHARED})
 * @param vmTypes          {@code KVM_CAP_VM_TYPES}, decoded ({@code DEFAULT}, {@code SW_PROTECTED}, {@code SEV}, …)
 * @param memoryAttributes {@code KVM_CAP_MEMORY_ATTRIBUTES} includes {@code KVM_MEMORY_ATTRIBUTE_PRIVATE}
 * @param userMemory2      {@code KVM_CAP_USER_MEMORY2}
 * @param memfdSecret      {@code memfd_secret(2)} works
 * @param defaultBackend   the backend {@code serve} picks: {@code kvm}, {@code secretmem} or {@code emulated}
 * @param notes            why something is missing, for people
 */
public record HostCapabilities(
    boolean kvm,
    int kvmApiVersion,
    boolean guestMemfd,
    List<String> guestMemfdFlags,
    List<String> vmTypes,
    boolean memoryAttributes,
    boolean userMemory2,
    boolean memfdSecret,
    String defaultBackend,
    List<String> notes) {

  public HostCapabilities {
    guestMemfdFlags = List.copyOf(guestMemfdFlags);
    vmTypes = List.copyOf(vmTypes);
    notes = List.copyOf(notes);
  }
}
