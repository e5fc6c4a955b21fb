package io.guestmem.rpc.auth;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.rpc.errors.ErrorMapper;

/**
 * Whom a lease RPC acts for, as {@link Caller#leaseActor} decided from the transport: a local
 * caller acts as its own uid and pid; a TCP caller mapped to an operator acts as the mapping's uid
 * (if any) with guestmem's own pid, since no local process of it exists.
 *
 * @param actingUid the uid whose leases it acts on and owns what it opens, or -1 for none
 * @param pid the process recorded as a lease's opener (the VMM audited and watched for exit)
 * @param allLeases whether it may act on every lease (root as operator, or an {@code allLeases} mapping)
 * @param who how messages name a TCP operator; null for a local caller (which always has a uid)
 */
public record LeaseActor(int actingUid, int pid, boolean allLeases, String who) {
  /** ErrorInfo reason when an operator mapped without a uid tries to open a lease. */
  public static final String NO_ACTING_UID = "NO_ACTING_UID";

  /** The uid it acts as; {@code PERMISSION_DENIED}/{@link #NO_ACTING_UID} when it has none. */
  public int uid() {
    if (actingUid < 0) {
      throw ErrorMapper.status(Status.Code.PERMISSION_DENIED, NO_ACTING_UID,
          who + " is an operator over all leases without a uid: map it to a uid (uid=N) to open leases");
    }
    return actingUid;
  }

  /** Whether it may act on a lease owned by {@code ownerUid}. */
  public boolean mayActOn(int ownerUid) {
    return allLeases || (actingUid >= 0 && actingUid == ownerUid);
  }
}
