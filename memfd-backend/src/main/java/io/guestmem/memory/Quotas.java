package io.guestmem.memory;

/**
 * Limits checked before anything is allocated: the memory cgroup answers an over-allocation by
 * killing a task (SIGKILL), not with ENOMEM, so the engine must refuse first.
 *
 * @param maxLeaseBytes          largest lease size accepted
 * @param maxAllocatedPerLease   bytes guestmem may allocate for one lease (private + shared)
 * @param maxAllocatedPerHost    bytes guestmem may allocate across all open leases
 * @param maxLeases              open leases at once
 */
public record Quotas(long maxLeaseBytes, long maxAllocatedPerLease, long maxAllocatedPerHost, int maxLeases) {
  /** 1 TiB leases, no allocation cap below the host cap of 8 GiB, 1024 leases. */
  public static final Quotas DEFAULT = new Quotas(1L << 40, 8L << 30, 8L << 30, 1024);

  public Quotas {
    if (maxLeaseBytes <= 0 || maxAllocatedPerLease < 0 || maxAllocatedPerHost < 0 || maxLeases <= 0) {
      throw new IllegalArgumentException("quotas must be positive");
    }
  }
}
