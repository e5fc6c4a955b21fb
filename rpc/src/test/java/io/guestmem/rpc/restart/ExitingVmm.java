package io.guestmem.rpc.restart;

import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.v1.AllocateRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A VMM process for the VMM-exit tests: opens an owned lease on the service in {@code args[0]},
 * allocates its first {@code args[1]} bytes, prints the lease id and waits to be killed.
 */
public final class ExitingVmm {
  private ExitingVmm() {}

  public static void main(String[] args) throws Exception {
    long allocate = Long.parseLong(args[1]);
    try (ServiceClient client = ServiceClient.connect(Path.of(args[0]))) {
      GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
      String id = Leases.open(stub, 4 * allocate).getLease().getLeaseId();
      stub.allocate(AllocateRequest.newBuilder().setLeaseId(id).addRanges(Leases.range(0, allocate)).build());
      System.out.println("lease " + id);
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(2));
    }
  }
}
