// Resolves each device request to one host device and runs the per-device rules on it. A request by
// address must find that address; a request by class (a hot-plug reservation) takes the best free
// device of the class — the one with the fewest blocking, then fewest warning findings — so the
// reservation is reported as impossible only when no candidate works.
import { SeverityTally, type ConflictSink } from '../conflict/sink.js';
import type { PreparedDevice } from '../prepare/prepared-host.js';
import type { AssignmentContext, DestinationContext } from '../rules/context.js';
import type { TargetRequest } from '../prepare/target-request.js';
import { hostDeviceNotFound, noMatchingDevice } from '../rules/groups/device-resolution.js';
import { runDeviceRules } from './rule-sets.js';

/** `preClaimed`: addresses the guest already holds on this host (hot-plug), never offered again. */
export function assignTargets(
  base: DestinationContext,
  requests: readonly TargetRequest[],
  preClaimed: readonly string[],
  sink: ConflictSink,
): void {
  const { host } = base;
  // Devices taken by earlier requests of the same guest: two reservations of one class need two devices.
  const claimed: string[] = [...preClaimed];
  for (const request of requests) {
    let device: PreparedDevice | undefined;
    if (request.hostDevice) {
      device = host.deviceByAddress.get(request.hostDevice);
      if (!device) {
        hostDeviceNotFound(host, request, sink);
        continue;
      }
    } else {
      const ofClass = request.deviceClass ? (host.devicesByClass.get(request.deviceClass) ?? []) : host.allDevices;
      const free = claimed.length > 0 ? ofClass.filter((d) => !claimed.includes(d.address)) : ofClass;
      if (free.length === 0) {
        noMatchingDevice(host, request, ofClass.length, sink);
        continue;
      }
      if (free.length > 1) {
        const best = bestCandidate(base, request, free);
        claimed.push(best.device.address);
        // A candidate with no findings has nothing to report: skip running its rules a second time.
        if (!best.clean) runDeviceRules(assignment(base, request, best.device), sink);
        continue;
      }
      device = free[0]!;
    }
    runDeviceRules(assignment(base, request, device), sink);
    claimed.push(device.address);
  }
}

// Spelled out rather than spread: `{ ...base, request, device }` gives V8 objects with slow
// (dictionary) properties, and every rule reads this context on the hot path of the fleet matrix.
function assignment(base: DestinationContext, request: TargetRequest, device: PreparedDevice): AssignmentContext {
  return {
    guest: base.guest,
    host: base.host,
    occupancy: base.occupancy,
    mode: base.mode,
    assigns: base.assigns,
    assignsVfio: base.assignsVfio,
    request,
    device,
  };
}

function bestCandidate(
  base: DestinationContext,
  request: TargetRequest,
  candidates: readonly PreparedDevice[],
): { device: PreparedDevice; clean: boolean } {
  const tally = new SeverityTally();
  let best = candidates[0]!;
  let bestScore = { blocking: Infinity, warnings: Infinity };
  for (const device of candidates) {
    tally.reset();
    runDeviceRules(assignment(base, request, device), tally);
    if (tally.blocking === 0 && tally.warnings === 0) return { device, clean: true };
    if (tally.betterThan(bestScore)) {
      best = device;
      bestScore = { blocking: tally.blocking, warnings: tally.warnings };
    }
  }
  return { device: best, clean: false };
}
