import { XMLParser, XMLValidator } from 'fast-xml-parser';

type RawElement = { [key: string]: RawElement[] | string | undefined };

const ATTR = '@';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  alwaysCreateTextNode: true,
  // Keep every value a string: "0x0000" must stay hex and sizes may exceed 2^53.
  parseTagValue: false,
  parseAttributeValue: false,
  // Every element is an array. libvirt repeats far more elements than a list here
  // would safely name (devices, cells, addresses under <source>...), and uniform
  // arrays make the 1-based [n] in reported paths exact.
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // <metadata> may hold any application's XML, nested deeper than the default 100.
  maxNestedTags: 1000,
});

/**
 * A read-only view of one XML element that knows its own path, so a problem can name
 * exactly where it is (`domain/devices/hostdev[1]/source/address`).
 */
export class XmlNode {
  private constructor(
    private readonly raw: RawElement,
    readonly path: string,
  ) {}

  /** Parses a whole document; a malformed one gives the parser's message and line instead. */
  static parse(xml: string): { roots: XmlNode[]; rootNames: string[] } | { error: string; line?: number } {
    const verdict = XMLValidator.validate(xml);
    if (verdict !== true) {
      // Several well-formed documents one after another (virt-install --print-xml): read them all,
      // so the caller can say what the file is. Same line, so line numbers stay true.
      if (verdict.err.code === 'InvalidXml' && /multiple possible root/i.test(verdict.err.msg))
        return XmlNode.parseConcatenated(xml) ?? { error: verdict.err.msg, line: verdict.err.line };
      return { error: verdict.err.msg, line: verdict.err.line };
    }
    const document = parser.parse(xml) as RawElement;
    const rootNames = Object.keys(document);
    const roots = rootNames.flatMap((name) => XmlNode.wrapAll(document[name], name, false));
    return { roots, rootNames };
  }

  private static parseConcatenated(xml: string): { roots: XmlNode[]; rootNames: string[] } | undefined {
    const wrapped = `<documents>${xml}</documents>`;
    if (XMLValidator.validate(wrapped) !== true) return undefined;
    const [wrapper] = (parser.parse(wrapped) as { documents: RawElement[] }).documents;
    if (!wrapper || typeof wrapper !== 'object') return undefined;
    const rootNames = Object.keys(wrapper).filter((name) => name !== TEXT && !name.startsWith(ATTR));
    const roots = rootNames.flatMap((name) => XmlNode.wrapAll(wrapper[name], name, true));
    return { roots, rootNames };
  }

  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1).replace(/\[\d+\]$/, '');
  }

  attr(name: string): string | undefined {
    const value = this.raw[ATTR + name];
    return typeof value === 'string' ? value : undefined;
  }

  /** Trimmed text content; undefined when the element has none. */
  text(): string | undefined {
    const value = this.raw[TEXT];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  }

  /** The first child of that name. libvirt's single-valued elements appear once. */
  child(name: string): XmlNode | undefined {
    return XmlNode.wrapAll(this.raw[name], `${this.path}/${name}`, false)[0];
  }

  /** Every child of that name, each with its [n] in the path. */
  children(name: string): XmlNode[] {
    return XmlNode.wrapAll(this.raw[name], `${this.path}/${name}`, true);
  }

  private static wrapAll(value: RawElement[] | string | undefined, path: string, indexed: boolean): XmlNode[] {
    if (!Array.isArray(value)) return [];
    return value.map((element, index) => {
      // An element with neither attributes nor children can arrive as a bare string.
      const raw: RawElement = typeof element === 'string' ? { [TEXT]: element } : element;
      return new XmlNode(raw, indexed ? `${path}[${index + 1}]` : path);
    });
  }
}
