/**
 * What an importer could not use, or had to assume. Importers never throw on
 * bad input: they skip what they cannot read, say so here, and let the caller
 * decide whether the result is good enough to apply.
 */
export type ProblemSeverity =
  /** Input was malformed or unreadable; the item was skipped, nothing was guessed. */
  | 'error'
  /** Something the planner relies on is missing or was defaulted. */
  | 'warning'
  /** An interpretation the reader may want to know about (e.g. unknown type → reserved). */
  | 'note';

export interface ImportProblem {
  severity: ProblemSeverity;
  /** Host importer: the file as the host names it, e.g. `/sys/kernel/iommu_groups/7/reserved_regions`. */
  file?: string;
  /** libvirt importer: the element path, e.g. `domain/devices/hostdev[1]/source/address` (1-based, as in XPath). */
  path?: string;
  /** 1-based line number inside `file` (or inside the XML document for parse errors). */
  line?: number;
  message: string;
}

/**
 * `value` is exactly what the fleet file / API accepts (the @ferry/domain schemas are
 * strict, so nothing else goes in it); `details` keeps what the source also said that
 * the fleet format has no field for yet.
 */
export interface ImportResult<Value, Details> {
  value: Value;
  problems: ImportProblem[];
  details: Details;
}
