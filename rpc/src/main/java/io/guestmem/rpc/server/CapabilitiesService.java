package io.guestmem.rpc.server;

import io.grpc.stub.StreamObserver;
import io.guestmem.memory.HostCapabilities;
import io.guestmem.rpc.v1.CapabilitiesGrpc;
import io.guestmem.rpc.v1.GetCapabilitiesRequest;

/** {@code guestmem.v1.Capabilities}: the host probe taken when the service started. */
public final class CapabilitiesService extends CapabilitiesGrpc.CapabilitiesImplBase {
  private final io.guestmem.rpc.v1.HostCapabilities reply;

  public CapabilitiesService(HostCapabilities caps) {
    this.reply = toProto(caps);
  }

  static io.guestmem.rpc.v1.HostCapabilities toProto(HostCapabilities c) {
    return io.guestmem.rpc.v1.HostCapabilities.newBuilder()
        .setKvm(c.kvm())
        .setKvmApiVersion(c.kvmApiVersion())
        .setGuestMemfd(c.guestMemfd())
        .addAllGuestMemfdFlags(c.guestMemfdFlags())
        .addAllVmTypes(c.vmTypes())
        .setMemoryAttributes(c.memoryAttributes())
        .setUserMemory2(c.userMemory2())
        .setMemfdSecret(c.memfdSecret())
        .setDefaultBackend(c.defaultBackend())
        .addAllNotes(c.notes())
        .build();
  }

  @Override
  public void getCapabilities(GetCapabilitiesRequest request, StreamObserver<io.guestmem.rpc.v1.HostCapabilities> out) {
    out.onNext(reply);
    out.onCompleted();
  }
}
