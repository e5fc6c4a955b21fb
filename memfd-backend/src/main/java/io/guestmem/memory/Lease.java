package io.guestmem.memory;

import java.util.List;
import java.util.OptionalInt;

/**
 * The memory of one VM: a private backing, a shared backing, a size and a page-state map. A new
 * lease starts with every page PRIVATE and nothing allocated.
 *
 * <p>Contract for every mutating call: it is all-or-nothing. It either completes, is recorded in
 * the journal and is acknowledged by returning, or it throws {@link MemoryException} with a
 * stable reason and the page states, allocations and journal are exactly as before the call.
 * Requests on disjoint ranges of one lease run in parallel; requests whose ranges overlap are
 * ordered (first come, first served).
 *
 * <p>Conversion follows QEMU's {@code kvm_convert_memory}: validate alignment and bounds, record,
 * set memory attributes where the kernel has them and guestmem owns the VM, change the map, then
 * discard the side that is no longer valid (punch the private backing for pages becoming SHARED,
 * the shared backing for pages becoming PRIVATE). Pages already in the target state are left
 * alone (not discarded).
 */
public interface Lease extends ConvertibleMemory {
  /** Stable identifier, unique in the state directory. */
  String id();

  /** Who opened the lease (its uid decides who may act on it). */
  Owner owner();

  /**
   * {@link #convert} for a caller that must not wait: a transport thread. Checks the request
   * exactly as {@code convert} does (and throws the same reasons), then converts it now if that
   * cannot wait on anything unbounded: no earlier request holds or waits for an overlapping range,
   * the journal commits without fsync ({@link Durability#PROCESS_CRASH}) and is free within
   * {@link io.guestmem.memory.journal.Journal#TRY_APPEND_WAIT_NANOS}, no snapshot or checkpoint
   * is due, and the batch is small (at most 64 ranges and 2 MiB, so the hole punches are short).
   * Returns true when converted, recorded and acknowledged, as {@code convert} would have; false
   * when it would have had to wait, having changed and held nothing: the caller then calls
   * {@code convert} where waiting is allowed. (If a system call fails after the record was
   * written, undoing it retracts the record with an ordinary journal write, as {@code convert} does.)
   */
  boolean tryConvert(List<ByteRange> ranges, PageState to) throws MemoryException;

  /** A snapshot of size, status, allocation and page states. */
  LeaseInfo info();

  /**
   * One page of the page-state map for paging through a large map without copying all of it:
   * at most {@code maxRanges} ranges, starting with the one containing {@code fromOffset}
   * (clipped to start there). The next page starts at the end of the last range returned; an
   * empty list means {@code fromOffset} is at or past the end.
   */
  List<StateRange> rangePage(long fromOffset, int maxRanges) throws MemoryException;

  /** Number of coalesced ranges in the page-state map. */
  int rangeCount();

  /**
   * ATTACHED mode: hands over the VMM's private {@code guest_memfd}. guestmem duplicates the fd
   * (the caller keeps and closes its own), then proves it: {@code /proc/self/fd} link is
   * {@code anon_inode:[kvm-gmem]}, {@code fstat} gives a regular file of exactly the lease size,
   * and an {@code mmap} attempt fails with ENODEV. Anything else is refused with
   * {@link MemoryException.Reason#BAD_FD} and nothing is recorded.
   */
  void attachPrivateFd(int fd) throws MemoryException;

  /**
   * Allocates the pages of every range on the backing of their current state (chunked
   * {@code fallocate}, EINTR retried). Quotas are checked first against the pages not yet
   * allocated; already allocated pages are not counted twice. If the kernel refuses midway
   * (ENOMEM, ENOSPC), the chunks that completed are recorded and the call throws.
   */
  void allocate(List<ByteRange> ranges) throws MemoryException;

  /** Frees and zeroes the pages of every range on the backing of their current state; states stay. */
  void discard(List<ByteRange> ranges) throws MemoryException;

  /**
   * Maps a SHARED range for host I/O by guestmem. Fails with
   * {@link MemoryException.Reason#RANGE_NOT_SHARED} if any page of it is PRIVATE.
   */
  HostMapping mapShared(ByteRange range) throws MemoryException;

  /**
   * The shared backing's fd (a memfd sealed against grow and shrink) for handing to the VMM
   * over SCM_RIGHTS. The lease keeps ownership: send it or {@code dup} it, never close it.
   * Empty on the emulated backend, which has no kernel object.
   */
  OptionalInt sharedFd();

  /**
   * The private backing's fd (a {@code guest_memfd} without MMAP on {@code kvm}, a
   * {@code memfd_secret} on {@code secretmem}). Same ownership rule as {@link #sharedFd()}.
   */
  OptionalInt privateFd();

  /** Releases the lease: backings closed, status CLOSED in the journal. Refused while mapped. */
  void release() throws MemoryException;

  /**
   * Re-adopts an ORPHANED lease after a restart from fds that survived it (e.g. held by the VMM,
   * which received them over SCM_RIGHTS, and handed back). Each fd must be the very kernel object
   * recorded when the lease was opened (same {@code st_dev}/{@code st_ino}, same boot), of the
   * lease's size, and still pass its backend's proof (kvm: the unmappable-gmem proof; shared:
   * sealed against resize). Then the lease is OPEN again with its recorded page states, which
   * still describe that memory. Otherwise {@link MemoryException.Reason#BAD_FD} and nothing changes;
   * {@link MemoryException.Reason#UNSUPPORTED} on the emulated backend. The caller keeps its fds.
   */
  void readopt(int privateFd, int sharedFd) throws MemoryException;
}
