import { afterEach, describe, expect, it, vi } from 'vitest';
import { onBackgroundError, reportBackgroundError, reportFailureOf, type BackgroundError } from './index.js';

describe('background errors', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    stops.splice(0).forEach((stop) => stop());
    vi.restoreAllMocks();
  });

  it('delivers a report with its task and context to every listener', async () => {
    const seen: BackgroundError[] = [];
    stops.push(onBackgroundError((report) => seen.push(report)));
    const failure = new Error('store away');
    await Promise.reject(failure).catch(reportFailureOf('migration.lease-renewal', { migrationId: 'm-1' }));
    expect(seen).toEqual([{ task: 'migration.lease-renewal', error: failure, context: { migrationId: 'm-1' } }]);
  });

  it('with nobody listening, still reaches stderr as a process warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    reportBackgroundError('orchestration.reconcile', new Error('store away'));
    expect(warn).toHaveBeenCalledWith('background task orchestration.reconcile failed: store away', {
      code: 'FERRY_BACKGROUND_ERROR',
    });
  });

  it('a listener that stopped hears nothing more', () => {
    const seen: string[] = [];
    const stop = onBackgroundError((report) => seen.push(report.task));
    stops.push(onBackgroundError(() => undefined)); // someone else still listens: no warning either
    reportBackgroundError('a', new Error('x'));
    stop();
    reportBackgroundError('b', new Error('y'));
    expect(seen).toEqual(['a']);
  });
});
