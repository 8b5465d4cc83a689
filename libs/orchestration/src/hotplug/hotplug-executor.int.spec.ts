// HotplugExecutor against a real event store (SQLite in memory): what a job does with a hot-plug
// whose worker died, one whose guest moved away, one already finished, and two workers racing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guestDeviceSchema } from '@ferry/domain';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { EmulatorBackend } from '@ferry/emulator';
import type { HotplugEvent } from './hotplug-events.js';
import { HotplugExecutor, loadHotplug } from './hotplug-executor.js';

const requested: HotplugEvent = {
  type: 'HotplugRequested',
  data: {
    hotplugId: 'h-1',
    guestId: 'vm-1',
    hostId: 'a',
    device: guestDeviceSchema.parse({ id: 'nic1', kind: 'vfio', hostDevice: '0000:81:00.0' }),
    plan: { verdict: 'ok', conflicts: [], inputs: {} },
    backend: 'emulator',
  },
};

describe('HotplugExecutor', () => {
  let opened: OpenedStore;
  const executor = (workerId = 'w-2') =>
    new HotplugExecutor({
      store: opened.store,
      backends: { emulator: new EmulatorBackend(), qemu: undefined },
      workerId,
    });
  const record = (...events: HotplugEvent[]) => opened.store.append('hotplug-h-1', events);
  const types = async () => (await opened.store.readStream('hotplug-h-1')).map((e) => e.type);

  beforeEach(async () => {
    opened = await openEventStore({ sqlitePath: ':memory:' });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('records a hot-plug found running as interrupted: the worker that ran it stopped', async () => {
    await record(requested, { type: 'HotplugStarted', data: { attempt: 1, worker: 'w-1' } });
    expect(await executor().run('h-1')).toEqual({ kind: 'done' });
    const { state } = await loadHotplug(opened.store, 'h-1');
    expect(state).toMatchObject({
      state: 'failed',
      outcome: 'interrupted: the worker running attempt 1 stopped before the hot-plug finished',
    });
  });

  it('fails a hot-plug whose guest is no longer on the host it was planned for', async () => {
    await record(requested);
    await executor().run('h-1');
    expect(await types()).toEqual(['HotplugRequested', 'HotplugStarted', 'HotplugFailed']);
    expect((await loadHotplug(opened.store, 'h-1')).state?.outcome).toBe('guest vm-1 is no longer on a');
  });

  it('leaves a finished hot-plug alone', async () => {
    await record(requested, { type: 'HotplugFailed', data: { reason: 'x', qemuError: null, guestCrashed: false } });
    expect(await executor().run('h-1')).toEqual({ kind: 'done' });
    expect(await types()).toEqual(['HotplugRequested', 'HotplugFailed']);
  });

  it('with two workers on the same job, starts it once and records one truthful outcome', async () => {
    await record(requested);
    await Promise.all([executor('w-1').run('h-1'), executor('w-2').run('h-1')]);
    expect(await types()).toEqual(['HotplugRequested', 'HotplugStarted', 'HotplugFailed']);
    expect((await loadHotplug(opened.store, 'h-1')).state?.outcome).toBe('guest vm-1 is no longer on a');
  });
});
