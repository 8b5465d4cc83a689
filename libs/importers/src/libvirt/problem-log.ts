import type { ImportProblem, ProblemSeverity } from '../common/problems.js';

/** Collects the libvirt importer's problems, each tied to an element path. */
export class ProblemLog {
  readonly problems: ImportProblem[] = [];

  add(severity: ProblemSeverity, path: string, message: string, line?: number): void {
    const problem: ImportProblem = { severity, path, message };
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  error(path: string, message: string): void {
    this.add('error', path, message);
  }

  warning(path: string, message: string): void {
    this.add('warning', path, message);
  }

  note(path: string, message: string): void {
    this.add('note', path, message);
  }
}
