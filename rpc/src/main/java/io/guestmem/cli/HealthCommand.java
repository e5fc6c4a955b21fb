package io.guestmem.cli;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.StateDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code guestmem health}: asks the running service's grpc.health.v1 service. */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Check that the running service answers and is SERVING.")
final class HealthCommand implements Callable<Integer> {
  @Option(names = "--state-dir", paramLabel = "DIR", description = "State directory of the running service.")
  Path stateDir;

  @picocli.CommandLine.Mixin ServiceConnection connection;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Path dir = stateDir != null ? stateDir : StateDirectory.defaultPath();
    try (ServiceClient c = connection.open(dir)) {
      HealthCheckResponse r = HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      spec.commandLine().getOut().println(r.getStatus().name());
      spec.commandLine().getOut().flush();
      return r.getStatus() == HealthCheckResponse.ServingStatus.SERVING ? 0 : 1;
    } catch (IOException e) {
      spec.commandLine().getErr().println("guestmem health: " + e.getMessage());
      return 1;
    } catch (StatusRuntimeException e) {
      spec.commandLine().getErr().println("guestmem health: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return 1;
    }
  }
}
