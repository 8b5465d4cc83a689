import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ImportProblem, ProblemSeverity } from '../common/problems.js';

/** What a sysfs entry such as `devices/<addr>/driver` turned out to be. */
export type EntryShape = { kind: 'link'; target: string } | { kind: 'file'; text: string } | { kind: 'dir' };

/**
 * Read-only access to a host's /sys and /proc mounted under `root`: the real `/`
 * or a dump of one. Missing files are normal (kernels differ), so reads return
 * undefined for them; any other failure is reported, never thrown.
 * Problems name files as the host does (`/sys/...`), whatever `root` is.
 */
export class HostTree {
  readonly problems: ImportProblem[] = [];

  constructor(private readonly root: string) {}

  hostPath(relative: string): string {
    return `/${relative}`;
  }

  report(severity: ProblemSeverity, relative: string | undefined, message: string, line?: number): void {
    const problem: ImportProblem = { severity, message };
    if (relative !== undefined) problem.file = this.hostPath(relative);
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  readText(relative: string): string | undefined {
    try {
      return readFileSync(join(this.root, relative), 'utf8');
    } catch (error) {
      return this.absentOrReport(error, relative);
    }
  }

  /** Entry names, sorted; undefined when the directory does not exist. */
  list(relative: string): string[] | undefined {
    try {
      return readdirSync(join(this.root, relative)).sort();
    } catch (error) {
      return this.absentOrReport(error, relative);
    }
  }

  exists(relative: string): boolean {
    try {
      lstatSync(join(this.root, relative));
      return true;
    } catch {
      return false;
    }
  }

  /** Without following symlinks: sysfs names drivers by a link's target. */
  shape(relative: string): EntryShape | undefined {
    const path = join(this.root, relative);
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) return { kind: 'link', target: basename(readlinkSync(path)) };
      if (stat.isDirectory()) return { kind: 'dir' };
      return { kind: 'file', text: readFileSync(path, 'utf8') };
    } catch (error) {
      return this.absentOrReport(error, relative);
    }
  }

  private absentOrReport(error: unknown, relative: string): undefined {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      this.report('error', relative, `cannot read: ${(error as Error).message}`);
    }
    return undefined;
  }
}
