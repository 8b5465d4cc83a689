import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

/** libvirt's on/off switches; anything else is reported and ignored, never guessed. */
export function onOff(node: XmlNode, attribute: string, log: ProblemLog): boolean | undefined {
  const value = node.attr(attribute);
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  log.error(node.path, `${attribute}=${JSON.stringify(value)} is not on or off; ignored`);
  return undefined;
}
