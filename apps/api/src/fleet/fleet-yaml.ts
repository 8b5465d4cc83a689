import { isAlias, isCollection, isPair, parseDocument, type Document, type Node } from 'yaml';
import { ValidationFailed } from '../http/problem.js';

/**
 * How many nodes a fleet file may expand to through its aliases: about what a 32 MB file holds
 * without any. It bounds the real cost (every expanded node is validated), unlike yaml's own
 * alias count, which refuses 150 hosts sharing one anchor yet lets one huge anchor repeat.
 */
export const MAX_EXPANDED_NODES = 2_000_000;

/**
 * Parses a YAML fleet file as plain data: the core schema, hex scalars kept as written, unique keys,
 * no tags beyond the core ones (`!!js/function`, `!custom` … are refused, not read as strings), and
 * aliases only within the expansion budget.
 */
export function parseFleetYaml(text: string): unknown {
  const doc = parseDocument(text, {
    schema: 'core',
    // In the YAML core schema an unquoted 0xfee00000 is an integer, and a 64-bit one would lose
    // bits as a JavaScript number; hex scalars are kept as the strings the operator wrote.
    customTags: (tags) =>
      tags.map((tag) =>
        typeof tag === 'object' && 'format' in tag && tag.format === 'HEX'
          ? ({ ...tag, resolve: (source: string) => source } as typeof tag)
          : tag,
      ),
    uniqueKeys: true,
  });
  const [error] = doc.errors;
  if (error) throw bodyProblem(`malformed YAML${where(error.linePos)}: ${error.message.split('\n')[0]}`);
  const unknownTag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (unknownTag) {
    const tag = /^!\S*/.exec(text.slice(unknownTag.pos[0]))?.[0] ?? 'tag';
    throw bodyProblem(
      `unknown YAML tag ${tag}${where(unknownTag.linePos)}: a fleet file is plain data (only the core tags like !!str are read)`,
    );
  }
  checkExpansion(doc);
  return doc.toJS({ maxAliasCount: -1 });
}

/** Counts the nodes the document expands to, following aliases (memoised per anchor), and refuses cycles. */
function checkExpansion(doc: Document): void {
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return 1;
      if (open.has(target)) throw bodyProblem(`the YAML alias *${node.source} refers to a node that contains it`);
      return sizeOf(target);
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let size = 1;
    if (isCollection(node)) for (const item of node.items) size += sizeOf(item);
    else if (isPair(node)) size += sizeOf(node.key) + sizeOf(node.value);
    open.delete(node);
    if (size > MAX_EXPANDED_NODES)
      throw bodyProblem(
        `the YAML expands through its aliases to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} nodes; refused as a resource-exhaustion attempt`,
      );
    sizes.set(node, size);
    return size;
  };
  sizeOf(doc.contents as Node | null);
}

const where = (linePos: readonly { line: number; col: number }[] | undefined) =>
  linePos?.[0] ? ` at line ${linePos[0].line}, column ${linePos[0].col}` : '';

const bodyProblem = (message: string) => new ValidationFailed([{ field: '(body)', message }]);
