// Prepared guests list their device requests; the rules read them. Here, so neither imports the other.

/** Where a request for a host device came from. */
export interface TargetRequest {
  origin: 'device' | 'reservation' | 'hotplug';
  /** Guest device id, reservation id, or the id of the device being hot-plugged. */
  id: string;
  kind: 'vfio' | 'vdpa';
  hostDevice: string | undefined;
  deviceClass: string | undefined;
}
