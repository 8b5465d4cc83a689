import type { XmlNode } from './xml-node.js';

/**
 * Stable, unique device ids for the fleet file: libvirt's alias when the XML has one
 * (live `virsh dumpxml` output does), else a hint such as a disk's target "vda",
 * else a per-kind counter ("net0", "net1").
 */
export class DeviceIds {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  next(node: XmlNode, prefix: string, hint?: string): string {
    const preferred = normalise(node.child('alias')?.attr('name') ?? hint ?? '');
    if (preferred !== '' && !this.used.has(preferred)) return this.take(preferred);
    for (;;) {
      const count = this.counters.get(prefix) ?? 0;
      this.counters.set(prefix, count + 1);
      const candidate = `${prefix}${count}`;
      if (!this.used.has(candidate)) return this.take(candidate);
    }
  }

  private take(id: string): string {
    this.used.add(id);
    return id;
  }
}

/** The fleet file's id alphabet: 1–63 of `[a-z0-9-]`, starting and ending with a letter or digit. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}
