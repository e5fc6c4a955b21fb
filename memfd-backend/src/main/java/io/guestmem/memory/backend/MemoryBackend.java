package io.guestmem.memory.backend;

import io.guestmem.memory.HostCapabilities;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;

/**
 * Where a lease's memory comes from. Three implementations with the same semantics and
 * different guarantees:
 *
 * <table>
 *   <caption>Backends</caption>
 *   <tr><th>name</th><th>private backing</th><th>guarantee</th></tr>
 *   <tr><td>{@code kvm}</td><td>{@code guest_memfd} without MMAP</td><td>kernel-enforced: no process can map it (mmap ENODEV), no read/write path</td></tr>
 *   <tr><td>{@code secretmem}</td><td>{@code memfd_secret}</td><td>hidden from other processes and the kernel direct map, but any holder of the fd can map it; guestmem maps it briefly itself to populate and to zero</td></tr>
 *   <tr><td>{@code emulated}</td><td>Java objects</td><td>none from the kernel: same bookkeeping, labelled {@code emulated} in every report</td></tr>
 * </table>
 *
 * <p>The shared backing is a sealed memfd on {@code kvm} and {@code secretmem}, and Java pages on
 * {@code emulated}.
 */
public interface MemoryBackend extends AutoCloseable {
  /** {@code kvm}, {@code secretmem} or {@code emulated}. */
  String name();

  /** True only for {@code kvm}: the kernel itself refuses every mapping of private memory. */
  boolean kernelEnforced();

  /** One sentence stating the guarantee, for reports. */
  String guarantee();

  /** OWNED mode: creates a private backing of {@code size} bytes (all pages unallocated). */
  PrivateBacking createPrivate(long size) throws MemoryException;

  /**
   * ATTACHED mode: proves a VMM's fd and takes a duplicate of it. The caller keeps its fd. Refused
   * with {@link Reason#BAD_FD} (nothing kept) or {@link Reason#UNSUPPORTED} on backends without
   * {@code guest_memfd}.
   */
  PrivateBacking attachPrivate(int fd, long size) throws MemoryException;

  /** Creates a shared backing of {@code size} bytes. */
  SharedBacking createShared(long size) throws MemoryException;

  /**
   * Re-adoption after a restart: takes a duplicate of {@code fd} as the private backing of a
   * lease, after proving it is the very kernel object recorded ({@code expected}) and still the
   * right kind (kvm: the unmappable-gmem proof). {@link Reason#BAD_FD} otherwise, nothing kept;
   * {@link Reason#UNSUPPORTED} on the emulated backend.
   */
  PrivateBacking adoptPrivate(int fd, long size, FileId expected) throws MemoryException;

  /** Re-adoption of a shared memfd: same identity, same size, still sealed against resize. */
  SharedBacking adoptShared(int fd, long size, FileId expected) throws MemoryException;

  @Override
  void close();

  /** The backend for a configured name; {@code auto} asks {@link HostProbe}. */
  static MemoryBackend forName(String name) throws MemoryException {
    String n = name;
    if ("auto".equals(n)) {
      HostCapabilities caps = HostProbe.probe();
      n = caps.defaultBackend();
    }
    switch (n) {
      case "kvm":
        return KvmBackend.open();
      case "secretmem":
        return SecretmemBackend.open();
      case "emulated":
        return new EmulatedBackend();
      default:
        throw new MemoryException(Reason.INVALID_ARGUMENT, "unknown backend '" + name + "'");
    }
  }
}
