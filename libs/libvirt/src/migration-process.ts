// A running `virsh migrate --p2p`: the source's libvirtd drives the migration; this process only
// waits for its answer. It is detached from our process group so a worker stopped by a signal to
// its group does not take the migration down with it; a SIGKILLed worker leaves it running too.
import { libvirtMessage, LibvirtError, spawnVirsh, virshArgs, VIRSH } from './virsh.js';

export interface MigrationProcess {
  pid: number | undefined;
  /** Resolves when libvirt reports success; rejects with libvirt's (and QEMU's) words. */
  done: Promise<void>;
}

export function startMigrationProcess(uri: string, args: string[]): MigrationProcess {
  const child = spawnVirsh(uri, args, { detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.resume();
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new LibvirtError(error.message, [VIRSH, ...virshArgs(uri, args)])));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = libvirtMessage(stderr) || `virsh migrate ended with ${signal ?? `exit code ${code}`}`;
      reject(new LibvirtError(said, [VIRSH, ...virshArgs(uri, args)]));
    });
  });
  return { pid: child.pid, done };
}
